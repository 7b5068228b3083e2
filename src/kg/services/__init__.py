"""Use cases of the service: no Flask, no click, no engine; a store and the query library."""

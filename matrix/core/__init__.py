"""Grid, records, schemas, JSON I/O, the error catalog: what every layer shares."""

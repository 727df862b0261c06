"""How tonvinh runs for real: Prefect deployments on a process work pool, the stack behind
`make up` / `make down`, and the production notes in deploy/README.md."""

"""The functional core of tonvinh: the campaign's rules as pure functions over plain data.

Everything here is deterministic and side-effect free — no database, no Prefect, no network, no
clock (``now`` is always a parameter). The only I/O is reading the packaged legal rule packs
(``models/rules/packs/*.toml``) with ``importlib.resources``.

- ``calendar``    — Vietnamese working days (weekends, Tết and public holidays, make-up Saturdays,
                    the operator's override table) and date formatting for letters.
- ``deadlines``   — the campaign's milestones, counted backwards from the conference date.
- ``ladder``      — the reminder ladder per unit, which step is due now, and who is behind.
- ``rulepack``    — the legal rule packs: versioned data with citations and C/U status per value
                    (council quorum and thresholds, cash, criteria, the tie-break share, the
                    frozen-nominee verdict, the resubmission window), their loading and overrides.
- ``eligibility`` — the eligibility check of one nominee and what review does with the findings
                    (re-exports the rule pack API).
- ``identity``    — who a nominee is: the one normalised key (kind, name, birth date).
- ``duplicates``  — the same person proposed by two units.
- ``tally``       — the council's quorum, thresholds over the whole membership, quotas, tie-breaks;
                    one outcome per (nomination, award), gathered per nomination.
- ``budget``      — base salary history, award amounts (rounded up to 10,000 VND) and the budget.
- ``committee_plan`` — the organising committee's plan: tasks, dues, dependencies, critical path.
- ``ceremony``    — the conference: each invitee once, seats by priority with a waiting list, the
                    RSVP cut-off and reminder steps, the guest list's checks, the seating order
                    (rule data in ``packs/ceremony/*.toml``).
"""

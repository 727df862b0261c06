"""How the campaign speaks to people: templates, rendering, addresses, the outbox and the mailer.

Layering: ``render`` and ``addresses`` are pure; ``mailer`` talks SMTP; ``outbox`` is the only
module that touches the database; ``smtp_server`` is the embedded default server (and the test
server).
"""

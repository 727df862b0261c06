"""The unit portal: each unit answers the campaign through its own link.

A thin FastAPI shell over ``services`` (``portal.app.create_app``): server-rendered Jinja2 pages
in Vietnamese (English by a switch per request), no JavaScript, one small stylesheet. It sits
beside ``flows`` in the layers: it imports services, documents, notifications and models, never
Prefect's flows, and it never starts a flow run.
"""

"""The review desk: a web app (FastAPI, Jinja2, served by uvicorn) where the coordinator and
reviewers see what waits, open a document beside its original, and decide.

It reads and writes the store through the same library calls as the command line
(``pipeline.load.review``, ``pipeline.load.queue``, ``pipeline.service.after_change``) and
holds no rule of its own. ``auth`` is who may use it, ``pages`` draws the originals, ``app``
the application and its safety (sessions, CSRF, the Content-Security-Policy), ``documents`` the
queue, a document and the decisions.
"""

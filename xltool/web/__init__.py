"""``xltool serve``: the bureau's console and each department's upload page.

Thin pages over the library, like the command line: ``collect``, ``assign``,
``campaign_status``, ``send`` and ``remind`` do the work; this package parses requests,
calls them and renders what comes back (server-side, Jinja2, auto-escaped). Starlette,
uvicorn and python-multipart are imported only here and by the ``serve`` command.

    app.py        the application: routes, security headers, request log, error pages
    server.py     uvicorn on one socket; the address line; Ctrl-C
    state.py      what the pages share; the console's guards; error pages
    auth.py       the console's token, session cookie, CSRF and loopback checks
    tokens.py     department links (HMAC-signed, with an expiry and a revocable nonce)
    board.py      the board as data (from ``status --format json``)
    console.py    the board, a department's page, the finding catalogue
    intake.py     files dropped on the console; unmatched files assigned
    mailing.py    send and remind: a preview, then a confirmation
    downloads.py  files by ledger id or sha256 (never by a path from the request)
    portal.py     a department's own page: its forms, uploads, verdicts
    uploads.py    reading uploads within the limits; collect off the event loop
    verdicts.py   what the pages say of each input (collect's outcome, its findings)
    render.py     templates, file names for downloads (RFC 6266), JSON
    texts.py      the pages' words, Chinese and English
"""

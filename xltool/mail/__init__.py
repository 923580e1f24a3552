"""Email around the campaign: compose (email package + Jinja2), send (smtplib), fetch
(IMAP) and the MIME intake of what departments send back."""

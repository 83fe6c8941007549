"""The console's CSRF protection (Flask-WTF): a token on every form, checked on every POST."""

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

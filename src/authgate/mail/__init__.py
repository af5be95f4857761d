"""Email: messages are rendered from Jinja templates and written to the outbox table in the
request (`outbox.enqueue`); a background sender (`sender.Sender`, started with the app) delivers
them over SMTP (`smtp.deliver`) with retries, so a slow or absent mail server never holds up a
request and a crash loses nothing (at-least-once: a message may, rarely, arrive twice).
"""

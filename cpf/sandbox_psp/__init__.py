"""A sandbox payment provider: a separate system on Stripe's PaymentIntent contract, with its own
API, hosted payment page, 3-D Secure challenge and signed webhooks, served in development and tests
(``SANDBOX_PSP_ENABLED``). The product talks to it only over HTTP, as it would to a real one."""

"""Business rules shared by the v1 API and the dashboard. Services change models and flush;
the request that called them commits."""

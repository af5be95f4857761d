"""Code shared by the Store and Forums example apps: config, JWT verification, cookies, the app
factory and the single-page-app JavaScript both apps serve."""

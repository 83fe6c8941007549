import gc

from api import create_app

app = create_app()
# What the app built at start-up lives as long as the process: the collector need not scan it
# again on every full collection (a pause in the middle of some request).
gc.freeze()

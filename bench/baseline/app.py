# The tutorial serves "app:app"; here that app is this repository's service, so both images run
# the same code and differ only in how they are built and started.
from service import create_app

app = create_app()

NAME = "sdk"
TITLE = "sdk"
def run(ctx): raise NotImplementedError

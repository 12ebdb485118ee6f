NAME = "scale"
TITLE = "scale"
def run(ctx): raise NotImplementedError

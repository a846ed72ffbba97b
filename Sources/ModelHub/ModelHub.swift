// ModelHub: the model cache, named models, pull and checksum.

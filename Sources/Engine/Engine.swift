// Engine: KV cache, samplers and the generation loop of the embedded backend.

// Models: architectures (llama, qwen2, mistral) read from GGUF, and their forward passes.

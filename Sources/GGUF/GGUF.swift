// GGUF: memory-mapped reader and writer for GGUF v2/v3 files.

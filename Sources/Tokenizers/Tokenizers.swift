// Tokenizers: byte-level BPE and SentencePiece from GGUF metadata, streaming detokenisation, chat templates.

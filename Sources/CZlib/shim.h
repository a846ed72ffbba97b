// System zlib, for reading gzipped data sets (HumanEval ships as .jsonl.gz).
#include <zlib.h>

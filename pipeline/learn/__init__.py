"""Learn: the Q&A dataset, LoRA/QLoRA training and the llama.cpp adapter export."""

"""The offline model's learned reading of a question: which kind of question it is (features, model, corpus,
trainer), before the slot parsers read the numbers out of it."""

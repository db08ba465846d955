"""`checker mutate`: an instructor's own correct training script turned into proven bug exercises.

facts.py reads the script (its training and evaluation functions, its model, its loaders), edits.py turns line
edits into the exact-text replacements a scenario declares, planters.py plants each bug class of the catalogue
(and its passing and failing neighbours), scenario_file.py writes a scenario as `checker new` would, and engine.py
proves them with selftest and keeps only those that prove.
"""

"""`checker lint`: the rules of checker/rules run over any Python file, folder or notebook."""

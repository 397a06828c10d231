"""placeholder"""
class StanceFinder:
    def __init__(self, labelset, lex): pass
    def find(self, text, mentions): return []

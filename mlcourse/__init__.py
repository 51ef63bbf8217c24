"""mlcourse: the library behind the course "Neural networks, from the perceptron
to deep ReLU networks". Each module is one topic of the course; read them as the
appendix of the notebooks.
"""
__version__ = "0.1.0"

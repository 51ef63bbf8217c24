"""The grading wing: exercise checks, the notebook build and the batch grader.

Lectures and the core library never import this package; exercise notebooks do::

    from mlcourse.grading import check
    check("perceptron_predict")
"""
from mlcourse.grading.framework import check

__all__ = ["check"]

"""Hand-written residual-family networks that torchvision does not ship.

One module per family. Every residual block class defines ``branch_last()``,
returning the last layer of its residual branch, so the zoo's random
re-initialisation can scale that layer down and keep deep nets well-scaled.
"""

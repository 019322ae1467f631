"""Ground-truth answering: replies built from a case's ground truth, right or deliberately wrong.

Below both users of it: the simulator server (:mod:`farm.simulator`) and the in-process
``fake`` backend (:mod:`farm.endpoints.fake`).
"""

# compare: values
"""torch.linalg as the recipes use it: solve, inv, det, norms, SVD reconstruction, eigh, QR, Cholesky."""
import torch

A = torch.tensor([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
b = torch.tensor([1.0, 2.0, 3.0])
x = torch.linalg.solve(A, b)
print(x, torch.allclose(A @ x, b))
print(torch.linalg.inv(A))
print(torch.linalg.det(A), torch.det(A))
print(torch.linalg.norm(A), torch.linalg.norm(b, ord=1), torch.linalg.matrix_norm(A, ord="nuc"))
print(torch.linalg.vector_norm(A, ord=float("inf")), torch.dist(b, b * 2))

M = torch.arange(12, dtype=torch.float32).reshape(4, 3) / 5
U, S, Vh = torch.linalg.svd(M, full_matrices=False)
print(S)
print(torch.allclose(U @ torch.diag(S) @ Vh, M, atol=1e-5))
print(torch.linalg.svdvals(M))

L, Q = torch.linalg.eigh(A)
print(L)
print(torch.allclose(Q @ torch.diag(L) @ Q.T, A, atol=1e-5))
Cl = torch.linalg.cholesky(A)
print(Cl)
Qr, R = torch.linalg.qr(M)
print(R.abs())
print(torch.linalg.matrix_exp(torch.zeros(2, 2)), torch.matrix_exp(torch.tensor([[0.0, 1.0], [-1.0, 0.0]])))

W = A.clone().requires_grad_()
loss = torch.linalg.det(W) + torch.linalg.inv(W).sum()
loss.backward()
print(W.grad)
print(torch.cross(torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, 1.0, 0.0]), dim=0))
print(torch.unique(torch.tensor([3, 1, 2, 3, 1]), return_counts=True))

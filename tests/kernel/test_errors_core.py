"""Beginners' mistakes on tensors, ops and autograd raise PyTorch's exception type and message,
word for word: each case runs on the kernel and on real PyTorch and the two are compared."""

import pytest

from tests.kernel.parity import K, T, same_error


def _second_backward(t):
    x = t.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _leaf_inplace(t):
    w = t.ones(3, requires_grad=True)
    w += 1


def _setitem_leaf(t):
    w = t.ones(3, requires_grad=True)
    w[0] = 5.0


def _retain_then_third(t):
    x = t.ones(3, requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    y.backward()


ERRORS = {
    # shapes and matmul
    "mm_shapes": lambda t: t.randn(64, 4096) @ t.randn(2304, 128),
    "linear_shapes": lambda t: t.mm(t.randn(3, 3), t.randn(4, 3)),
    "matmul_3d_2d": lambda t: t.randn(2, 3, 4) @ t.randn(5, 6),
    "matmul_batched": lambda t: t.randn(2, 3, 4) @ t.randn(2, 5, 6),
    "matmul_1d_1d": lambda t: t.randn(3) @ t.randn(4),
    "matmul_2d_1d": lambda t: t.randn(3, 4) @ t.randn(5),
    "matmul_0d": lambda t: t.tensor(1.0) @ t.randn(4, 5),
    "matmul_dtype": lambda t: t.randn(2, 2) @ t.ones(2, 2, dtype=t.long),
    "matmul_double_float": lambda t: t.randn(2, 2).double() @ t.ones(2, 2),
    "mm_vector": lambda t: t.mm(t.randn(3), t.randn(3, 3)),
    "mm_vector2": lambda t: t.mm(t.randn(3, 3), t.randn(3)),
    "bmm_sizes": lambda t: t.bmm(t.randn(2, 3, 4), t.randn(2, 5, 6)),
    "bmm_batch": lambda t: t.bmm(t.randn(2, 3, 4), t.randn(3, 4, 6)),
    "bmm_2d": lambda t: t.bmm(t.randn(3, 4), t.randn(3, 4, 6)),
    "bmm_2d_second": lambda t: t.bmm(t.randn(2, 3, 4), t.randn(4, 6)),
    "mv_size": lambda t: t.mv(t.randn(3, 4), t.randn(5)),
    "mv_dims": lambda t: t.mv(t.randn(3, 4), t.randn(4, 1)),
    "dot_size": lambda t: t.dot(t.randn(3), t.randn(4)),
    "dot_dims": lambda t: t.dot(t.randn(3, 1), t.randn(3)),
    "dot_dtype": lambda t: t.dot(t.randn(3), t.ones(3, dtype=t.long)),
    "outer_dims": lambda t: t.outer(t.randn(3, 1), t.randn(3)),
    "view_invalid": lambda t: t.randn(64, 16, 16, 16).view(-1, 2304),
    "view_invalid_small": lambda t: t.randn(4, 3).view(5, 3),
    "reshape_invalid": lambda t: t.randn(4).reshape(3),
    "view_two_minus_one": lambda t: t.randn(4).view(-1, -1),
    "view_non_contiguous": lambda t: t.randn(4, 3).t().view(12),
    "broadcast": lambda t: t.randn(2, 3) + t.randn(2, 4),
    "broadcast_mul": lambda t: t.randn(5, 3) * t.randn(4, 1, 2),
    "where_broadcast": lambda t: t.where(t.tensor([True, False]), t.randn(3), t.randn(2)),
    "where_condition_dtype": lambda t: t.where(t.tensor([1, 0]), t.randn(2), t.randn(2)),
    "expand_size": lambda t: t.randn(2, 3).expand(4, 3),
    "expand_fewer_dims": lambda t: t.randn(2, 3).expand(3),
    "repeat_fewer_dims": lambda t: t.randn(2, 3).repeat(2),
    "cat_sizes": lambda t: t.cat([t.randn(2, 3), t.randn(2, 4)]),
    "cat_ndim": lambda t: t.cat([t.randn(2, 3), t.randn(3)]),
    "cat_dim_range": lambda t: t.cat([t.randn(2, 3), t.randn(2, 3)], dim=2),
    "cat_empty": lambda t: t.cat([]),
    "stack_sizes": lambda t: t.stack([t.randn(2, 3), t.randn(2, 4)]),
    "stack_empty": lambda t: t.stack([]),
    "split_zero": lambda t: t.randn(4).split(0),
    "split_sizes_sum": lambda t: t.randn(4).split([1, 2]),
    "chunk_zero": lambda t: t.randn(4).chunk(0),
    "permute_len": lambda t: t.randn(3, 4).permute(0),
    "permute_dup": lambda t: t.randn(3, 4).permute(0, 0),
    "transpose_range": lambda t: t.randn(3, 4).transpose(0, 2),
    "t_3d": lambda t: t.randn(2, 3, 4).t(),
    "flatten_order": lambda t: t.randn(2, 3).flatten(1, 0),
    "unsqueeze_range": lambda t: t.randn(3).unsqueeze(3),
    "sum_dim_range": lambda t: t.randn(3).sum(dim=1),
    "softmax_dim_range": lambda t: t.randn(3).softmax(dim=1),
    "sort_dim_range": lambda t: t.randn(4).sort(dim=2),
    "topk_k": lambda t: t.randn(4).topk(5),
    "std_int": lambda t: t.tensor([1, 2]).std(),
    "var_int": lambda t: t.tensor([1, 2]).var(),
    "mean_int": lambda t: t.tensor([1, 2]).mean(),
    "max_empty": lambda t: t.tensor([]).max(),
    "clamp_none": lambda t: t.randn(2).clamp(),
    "neg_bool": lambda t: -t.tensor([True]),
    "sub_bool": lambda t: t.tensor([True]) - t.tensor([False]),
    "int_negative_power": lambda t: t.tensor([2]) ** -1,
    # indexing
    "index_out_of_range": lambda t: t.randn(2, 3)[5],
    "index_second_dim": lambda t: t.randn(2, 3)[0, 7],
    "index_negative": lambda t: t.randn(2, 3)[-3],
    "index_after_none": lambda t: t.randn(2, 3)[None, 5],
    "index_after_ellipsis": lambda t: t.randn(2, 3)[..., 5],
    "too_many_indices": lambda t: t.randn(2, 3)[0, 0, 0],
    "tensor_index_out_of_range": lambda t: t.randn(2, 3)[t.tensor([0, 4])],
    "list_index_out_of_range": lambda t: t.randn(2, 3)[:, [0, 9]],
    "mask_shape": lambda t: t.randn(2, 3)[t.tensor([True, False, True])],
    "mask_shape_dim1": lambda t: t.randn(2, 3)[:, t.tensor([True, False])],
    "float_index": lambda t: t.randn(2, 3)[t.tensor([0.0])],
    "setitem_shape": lambda t: t.randn(2, 3).__setitem__(0, t.randn(4)),
    "setitem_shape_2d": lambda t: t.zeros(3, 4).__setitem__(slice(None), t.ones(2)),
    "setitem_too_many_dims": lambda t: t.zeros(3, 4).__setitem__(0, t.ones(3, 4)),
    "gather_out_of_range": lambda t: t.randn(2, 3).gather(1, t.tensor([[5]])),
    "gather_float_index": lambda t: t.randn(2, 3).gather(1, t.tensor([[1.0]])),
    "gather_dims": lambda t: t.randn(2, 3).gather(1, t.tensor([1])),
    "scatter_out_of_range": lambda t: t.zeros(2, 3).scatter(1, t.tensor([[5]]), 1.0),
    "scatter_src_dtype": lambda t: t.zeros(2, 3).scatter(1, t.tensor([[1]]), t.ones(1, 1, dtype=t.long)),
    "index_select_out_of_range": lambda t: t.randn(2, 3).index_select(1, t.tensor([5])),
    "index_select_float": lambda t: t.randn(2, 3).index_select(1, t.tensor([1.0])),
    "index_select_2d": lambda t: t.randn(2, 3).index_select(0, t.tensor([[0]])),
    "masked_fill_long_mask": lambda t: t.randn(2, 3).masked_fill(t.tensor([1, 0, 1]), 0.0),
    "masked_fill_shape": lambda t: t.randn(2, 3).masked_fill(t.tensor([True, False]), 0.0),
    # autograd
    "backward_no_grad": lambda t: t.randn(2).sum().backward(),
    "backward_non_scalar": lambda t: (t.randn(2, requires_grad=True) * 2).backward(),
    "backward_gradient_shape": lambda t: (t.randn(2, requires_grad=True) * 2).backward(t.ones(3)),
    "second_backward": _second_backward,
    "retain_graph_then_third": _retain_then_third,
    "numpy_requires_grad": lambda t: t.randn(2, requires_grad=True).numpy(),
    "inplace_on_leaf": lambda t: t.ones(3, requires_grad=True).add_(1),
    "iadd_on_leaf": _leaf_inplace,
    "setitem_on_leaf": _setitem_leaf,
    "uniform_on_leaf": lambda t: t.ones(3, requires_grad=True).uniform_(),
    "clamp_on_leaf": lambda t: t.ones(3, requires_grad=True).clamp_(0, 1),
    "requires_grad_int_tensor": lambda t: t.tensor([1, 2], requires_grad=True),
    "requires_grad_int_zeros": lambda t: t.zeros(2, dtype=t.long, requires_grad=True),
    "requires_grad_int_method": lambda t: t.tensor([1, 2]).requires_grad_(),
    "requires_grad_non_leaf": lambda t: (t.ones(2, requires_grad=True) * 2).requires_grad_(False),
    "grad_unused": lambda t: t.autograd.grad(t.randn(2, requires_grad=True).sum(), [t.randn(2, requires_grad=True)]),
    "grad_input_no_grad": lambda t: t.autograd.grad(t.randn(2, requires_grad=True).sum(), [t.randn(2)]),
    "grad_assign_shape": lambda t: setattr(t.ones(2, requires_grad=True), "grad", t.zeros(3)),
    "grad_assign_dtype": lambda t: setattr(t.ones(2, requires_grad=True), "grad", t.zeros(2, dtype=t.float64)),
    "grad_assign_type": lambda t: setattr(t.ones(2, requires_grad=True), "grad", 5),
    # conversions
    "item_many": lambda t: t.randn(2).item(),
    "bool_many": lambda t: bool(t.randn(2)),
    "float_many": lambda t: float(t.randn(2)),
    "int_many": lambda t: int(t.randn(2)),
    "len_0d": lambda t: len(t.tensor(1.0)),
    "iter_0d": lambda t: iter(t.tensor(1.0)),
    "ragged_list": lambda t: t.tensor([[1, 2], [3]]),
    "to_cuda": lambda t: t.randn(2).to("cuda"),
    "cuda_method": lambda t: t.randn(2).cuda(),
    "randint_range": lambda t: t.randint(5, 2, (3,)),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_matches_torch(name):
    same_error(lambda: ERRORS[name](K), lambda: ERRORS[name](T))


def test_issue_examples_word_for_word():
    """The messages the issue quotes, checked literally as well as against torch."""
    cases = {
        "mat1 and mat2 shapes cannot be multiplied (64x4096 and 2304x128)": ERRORS["mm_shapes"],
        "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1": ERRORS["broadcast"],
        "element 0 of tensors does not require grad and does not have a grad_fn": ERRORS["backward_no_grad"],
        "grad can be implicitly created only for scalar outputs": ERRORS["backward_non_scalar"],
        "shape '[-1, 2304]' is invalid for input of size 262144": lambda t: t.randn(64, 4096).view(-1, 2304),
    }
    for message, fn in cases.items():
        assert same_error(lambda: fn(K), lambda: fn(T)) == message

"""One planter per bug class: where the bug goes in this script, and the neighbouring versions that must pass
(another right way to write the original) and must fail (a wrong fix students make). Each works from the facts
lint's rules look for, in the other direction: what a rule finds is what its planter writes."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from checker.mutate.edits import LineEdit, delete, indent_of, insert_after, insert_before, reindented
from checker.mutate.facts import Facts, method_call, receiver, statements
from checker.rules.syntax import call_name


class Skip(Exception):
    """The class cannot be planted in this script; `key` names the reason in classes.toml's [skips]."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


@dataclass
class Case:
    name: str
    edits: list[LineEdit]
    expect: str  # "pass" or "fail"
    failing: tuple[str, ...] = ()


@dataclass
class Plan:
    bug: list[LineEdit]
    variants: list[Case]
    probes: list[str] = field(default_factory=list)  # this class's probes, its own first
    epochs: int = 1  # the budget's epochs: 2 where a state the evaluation leaves shows only in the next epoch
    entry_points: dict[str, str] = field(default_factory=dict)  # beyond main, train, test and model_class
    overrides: dict[str, int] = field(default_factory=dict)  # beyond the epoch count


def _lines(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.end_lineno


def _whole(facts: Facts, node: ast.stmt) -> str:
    first, last = _lines(node)
    return "".join(facts.lines[first - 1:last])


def _replace_in_line(facts: Facts, node: ast.AST, new: str) -> LineEdit:
    """The one-line expression `node` replaced by `new` on its line."""
    if node.lineno != node.end_lineno:
        raise ValueError("multi-line")
    line = facts.line(node.lineno)
    return LineEdit(node.lineno, node.lineno, line[:node.col_offset] + new + line[node.end_col_offset:])


def _indent(facts: Facts, node: ast.AST) -> str:
    return indent_of(facts.line(node.lineno))


def _called(function: ast.FunctionDef) -> str:
    """`train()`, or, for a top-level script's loop (checker.mutate.facts), `the training loop`."""
    return f"the {function.name.replace('_', ' ')}" if getattr(function, "pseudo", False) else f"{function.name}()"


def _first_body_statement(function: ast.FunctionDef) -> ast.stmt:
    body = function.body
    docstring = isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
        and isinstance(body[0].value.value, str)
    return body[1] if docstring and len(body) > 1 else body[0]


def _require_training(facts: Facts) -> None:
    if facts.batch_loop is None or facts.optimizer_step is None:
        raise Skip("no_training_loop")


def _require_evaluation(facts: Facts) -> None:
    if facts.test is None:
        raise Skip("no_evaluation")


def zero_grad(facts: Facts) -> Plan:
    _require_training(facts)
    if facts.zero_grad is None:
        raise Skip("no_zero_grad")
    call = _whole(facts, facts.zero_grad).strip()
    removed = delete(*_lines(facts.zero_grad))
    step_indent = _indent(facts, facts.optimizer_step)
    if facts.zero_grad.lineno < facts.backward.lineno:
        moved = Case(f"{call} after {facts.optimizer}.step()", [removed, insert_after(
            facts.optimizer_step.end_lineno, f"{step_indent}{call}\n")], "pass")
    else:
        moved = Case(f"{call} before backward()", [removed, insert_before(
            facts.backward.lineno, f"{_indent(facts, facts.backward)}{call}\n")], "pass")
    between = Case(f"{call} between backward() and step()", [removed, insert_after(
        facts.backward.end_lineno, f"{_indent(facts, facts.backward)}{call}\n")], "fail", ("grads_zeroed",))
    per_epoch = Case(f"{call} once per epoch, before the batch loop", [removed, insert_before(
        facts.batch_loop.lineno, f"{_indent(facts, facts.batch_loop)}{call}\n")], "fail", ("grads_zeroed",))
    return Plan([removed], [moved, between, per_epoch], ["grads_zeroed"])


def _flatten_call(facts: Facts) -> ast.Call | None:
    """The one-line call in a forward() that keeps the batch dimension free."""
    for cls in facts.model_classes:
        for node in ast.walk(cls):
            if not (isinstance(node, ast.Call) and node.lineno == node.end_lineno):
                continue
            name = call_name(node)
            if name in {"view", "reshape"} and isinstance(node.func, ast.Attribute) and len(node.args) == 2:
                first = ast.unparse(node.args[0])
                if first == "-1" or first.endswith(("size(0)", "shape[0]")):
                    return node
            if name == "flatten" and (len(node.args) == 2 and ast.unparse(node.args[1]) == "1"
                                      or len(node.args) == 1 and isinstance(node.func, ast.Attribute)
                                      and ast.unparse(node.args[0]) == "1"):
                return node
    return None


def _training_batch_size(facts: Facts) -> str:
    """The module-level name the training DataLoader takes its batch size from."""
    module_names = {t.id for n in facts.tree.body if isinstance(n, ast.Assign) for t in n.targets
                    if isinstance(t, ast.Name)}
    names = [k.value.id for n in ast.walk(facts.tree) if isinstance(n, ast.Call) and call_name(n) == "DataLoader"
             for k in n.keywords if k.arg == "batch_size" and isinstance(k.value, ast.Name)
             and k.value.id in module_names]
    return next((n for n in names if "train" in n), names[0] if names else "")


def reshape(facts: Facts) -> Plan:
    call = _flatten_call(facts)
    if call is None:
        raise Skip("no_flatten")
    batch = _training_batch_size(facts)
    if not batch:
        raise Skip("no_batch_name")
    sizes = {ast.unparse(k.value) for n in ast.walk(facts.tree) if isinstance(n, ast.Call)
             and call_name(n) == "DataLoader" for k in n.keywords if k.arg == "batch_size"}
    if len(sizes) > 1:
        raise Skip("batch_sizes_differ")
    if call_name(call) == "flatten":
        tensor = ast.unparse(call.args[0]) if len(call.args) == 2 else ast.unparse(call.func.value)
        planted = f"{tensor}.reshape({batch}, -1)"
        other_wrong = f"{tensor}.view({batch}, -1)"
        right = f"{tensor}.view({tensor}.size(0), -1)"
    else:
        tensor, method = ast.unparse(call.func.value), call.func.attr
        planted = f"{tensor}.{method}({batch}, {ast.unparse(call.args[1])})"
        other_wrong = f"{tensor}.reshape({batch}, -1)" if planted != f"{tensor}.reshape({batch}, -1)" \
            else f"{tensor}.view({batch}, -1)"
        right = f"torch.flatten({tensor}, 1)"
    bug = _replace_in_line(facts, call, planted)
    return Plan([bug], [
        Case(right, [_replace_in_line(facts, call, right)], "pass"),
        Case(f"{other_wrong}: the batch size is still hard-coded", [_replace_in_line(facts, call, other_wrong)],
             "fail", ("batch_independent",)),
    ], ["batch_independent"])


def eval_mode(facts: Facts) -> Plan:
    _require_evaluation(facts)
    if facts.eval_call is None:
        raise Skip("no_eval_call")
    if not facts.mode_layers:
        raise Skip("no_mode_layers")
    model = receiver(facts.eval_call)
    indent = _indent(facts, facts.eval_call)
    where = _lines(facts.eval_call)
    return Plan([delete(*where)], [
        Case(f"{model}.train(False) instead of {model}.eval()", [LineEdit(*where, f"{indent}{model}.train(False)\n")],
             "pass"),
        Case(f"{model}.eval without parentheses", [LineEdit(*where, f"{indent}{model}.eval\n")], "fail",
             ("eval_mode",)),
    ], ["eval_mode"])


def _without_no_grad(facts: Facts, replacement: str = "") -> list[LineEdit]:
    """The evaluation's no_grad taken away: the `with` line (replaced by `replacement`, a statement, when given)
    and its body dedented; or the decorator (and `replacement` put first in the body)."""
    if facts.no_grad_with is not None:
        block = facts.no_grad_with
        indent = _indent(facts, block)
        body_first, body_last = block.body[0].lineno, block.body[-1].end_lineno
        body = "".join(facts.lines[body_first - 1:body_last])
        step = len(indent_of(facts.line(body_first))) - len(indent)
        head = f"{indent}{replacement}\n" if replacement else ""
        return [LineEdit(block.lineno, body_last, head + reindented(body, remove=step))]
    decorator = facts.no_grad_decorator
    edits = [delete(decorator.lineno, decorator.end_lineno)]
    if replacement:
        first = _first_body_statement(facts.test)
        edits.append(insert_before(first.lineno, f"{_indent(facts, first)}{replacement}\n"))
    return edits


def no_grad(facts: Facts) -> Plan:
    _require_evaluation(facts)
    if facts.no_grad_with is None and facts.no_grad_decorator is None:
        raise Skip("no_no_grad")
    test = facts.test
    def_indent = _indent(facts, test)
    top = min([test.lineno] + [d.lineno for d in test.decorator_list])
    if facts.no_grad_decorator is not None and call_name(facts.no_grad_decorator) == "inference_mode":
        right = "@torch.no_grad()"
    else:
        right = "@torch.inference_mode()"
    removed = _without_no_grad(facts)
    decorator = facts.no_grad_decorator
    if getattr(test, "pseudo", False):  # a top-level loop: no def to decorate, its with statement says the same
        block = facts.no_grad_with
        right = f"with {right[1:]}:"
        decorated = [LineEdit(block.lineno, block.lineno, f"{_indent(facts, block)}{right}\n")]
    else:
        decorated = (removed + [insert_before(top, f"{def_indent}{right}\n")] if decorator is None
                     else [LineEdit(decorator.lineno, decorator.end_lineno, f"{def_indent}{right}\n")])
    return Plan(removed, [
        Case(f"{right} on {_called(test)}", decorated, "pass"),
        Case("torch.no_grad() called on its own line instead of in a with statement",
             _without_no_grad(facts, "torch.no_grad()"), "fail", ("no_grad_eval",)),
    ], ["no_grad_eval", "no_graph_kept"])


@dataclass
class ResumePath:
    """A script that saves a checkpoint and resumes from it: make_optimizer(model), save_checkpoint(model,
    optimizer, folder) and a resume function that builds a new model and its optimizer and loads both states."""
    make_optimizer: str
    save_checkpoint: str
    resume: str
    optimizer_built: ast.Assign  # new_optimizer = make_optimizer(new_model), in the resume function
    model_loaded: ast.stmt  # new_model.load_state_dict(...)
    optimizer_loaded: ast.stmt  # new_optimizer.load_state_dict(...)
    optimizer_saved: ast.stmt  # torch.save(optimizer.state_dict(), ...), in save_checkpoint
    new_model: str
    first_model: str  # the first run's model, a module-level name main() assigns (global)


def _resume_path(facts: Facts) -> ResumePath:
    functions = facts.functions
    makers = [f for f in functions.values() if any(
        isinstance(n, ast.Return) and isinstance(n.value, ast.Call) and n.value.args
        and ast.unparse(n.value.args[0]).endswith(".parameters()") for n in ast.walk(f))]
    savers = [f for f in functions.values() if any(isinstance(n, ast.Call) and ast.unparse(n.func) == "torch.save"
                                                   for n in ast.walk(f)) and len(f.args.args) >= 2]
    if not makers or not savers:
        raise Skip("no_resume")
    maker, saver = makers[0].name, savers[0]
    for function in functions.values():
        built = [s for s in statements(function.body) if isinstance(s, ast.Assign) and isinstance(s.value, ast.Call)
                 and call_name(s.value) == maker and len(s.value.args) == 1 and len(s.targets) == 1]
        if not built or function is facts.main:
            continue
        optimizer, model = ast.unparse(built[0].targets[0]), ast.unparse(built[0].value.args[0])
        loads = {receiver(s): s for s in statements(function.body) if method_call(s, "load_state_dict")}
        optimizer_param = saver.args.args[1].arg
        saved = [s for s in statements(saver.body) if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)
                 and f"{optimizer_param}.state_dict()" in ast.unparse(s)]
        if model not in loads or optimizer not in loads or not saved:
            continue
        globals_ = {name for s in ast.walk(facts.main) if isinstance(s, ast.Global) for name in s.names} \
            if facts.main else set()
        first = next((ast.unparse(s.targets[0]) for s in ast.walk(facts.main) if isinstance(s, ast.Assign)
                      and len(s.targets) == 1 and ast.unparse(s.targets[0]) in globals_), "") if facts.main else ""
        return ResumePath(maker, saver.name, function.name, built[0], loads[model], loads[optimizer], saved[0],
                          model, first)
    raise Skip("no_resume")


def _resume_budget(facts: Facts) -> dict[str, int]:
    names = [t.id for n in facts.tree.body if isinstance(n, ast.Assign) for t in n.targets
             if isinstance(t, ast.Name) and t.id.startswith("n_") and t.id.endswith("epochs")
             and t.id != facts.epochs_name]
    return {names[0]: 1} if names else {}


def resume(facts: Facts) -> Plan:
    path = _resume_path(facts)
    if not path.first_model:
        raise Skip("no_first_model")
    built = path.optimizer_built
    argument = built.value.args[0]
    entries = {"make_optimizer": path.make_optimizer, "save_checkpoint": path.save_checkpoint, "resume": path.resume}
    indent = _indent(facts, built)
    built_line = _whole(facts, built)
    after_load = [delete(*_lines(built)), insert_after(path.model_loaded.end_lineno, f"{indent}{built_line.strip()}\n")]
    return Plan([_replace_in_line(facts, argument, path.first_model)], [
        Case(f"the weights loaded first, then the optimizer built on {path.new_model}", after_load, "pass"),
        Case("the right network, but the optimizer's state not loaded", [delete(*_lines(path.optimizer_loaded))],
             "fail", ("resume_equivalent",)),
    ], ["resume_equivalent", "params_owned"], entry_points=entries, overrides=_resume_budget(facts))


def checkpoint(facts: Facts) -> Plan:
    path = _resume_path(facts)
    entries = {"make_optimizer": path.make_optimizer, "save_checkpoint": path.save_checkpoint, "resume": path.resume}
    optimizer_loaded = delete(*_lines(path.optimizer_loaded))
    indent = _indent(facts, path.model_loaded)
    return Plan([optimizer_loaded, delete(*_lines(path.optimizer_saved))], [
        Case("the optimizer's state loaded before the model's weights", [optimizer_loaded, insert_before(
            path.model_loaded.lineno, f"{indent}{_whole(facts, path.optimizer_loaded).strip()}\n")], "pass"),
        Case("the optimizer's state saved, but never loaded", [optimizer_loaded], "fail", ("resume_equivalent",)),
        Case("the optimizer's state loaded, but not the model's weights", [delete(*_lines(path.model_loaded))],
             "fail", ("resume_equivalent",)),
    ], ["resume_equivalent"], entry_points=entries, overrides=_resume_budget(facts))


SCHEDULERS_PER_BATCH = {"OneCycleLR", "CyclicLR"}


def scheduler(facts: Facts) -> Plan:
    _require_training(facts)
    bound = {}
    for node in ast.walk(facts.tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and len(node.targets) == 1:
            name = call_name(node.value)
            if name.endswith("LR") or "lr_scheduler" in ast.unparse(node.value.func) or name.endswith("Scheduler"):
                bound[ast.unparse(node.targets[0])] = name
    inside = {id(s) for s in statements(facts.batch_loop.body)}
    steps = [s for s in statements(facts.main.body if facts.main else []) if method_call(s, "step")
             and receiver(s) in bound and id(s) not in inside]
    if not steps or bound[receiver(steps[0])] in SCHEDULERS_PER_BATCH | {"ReduceLROnPlateau"}:
        raise Skip("no_scheduler")
    step = steps[0]
    name = receiver(step)
    module_names = {t.id for n in facts.tree.body if isinstance(n, ast.Assign) for t in n.targets
                    if isinstance(t, ast.Name)}
    if name not in {a.arg for a in facts.train.args.args} and name not in module_names:
        raise Skip("scheduler_out_of_reach")
    removed = delete(*_lines(step))
    in_batches = insert_after(facts.optimizer_step.end_lineno, f"{_indent(facts, facts.optimizer_step)}{name}.step()\n")
    after_loop = insert_after(facts.batch_loop.end_lineno, f"{_indent(facts, facts.batch_loop)}{name}.step()\n")
    variants = [Case(f"{name}.step() at the end of {_called(facts.train)}, after the batch loop",
                     [removed, after_loop], "pass")]
    train_calls = [s for s in statements(facts.main.body) if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)
                   and call_name(s.value) == facts.train.name]
    if train_calls:
        variants.append(Case(f"{name}.step() at the start of each epoch, before any optimizer step", [
            removed, insert_before(train_calls[0].lineno, f"{_indent(facts, train_calls[0])}{name}.step()\n")],
            "fail", ("scheduler_per_epoch",)))
    variants.append(Case(f"{name}.step() added in the batch loop, the one after the epoch left in", [in_batches],
                         "fail", ("scheduler_per_epoch",)))
    return Plan([removed, in_batches], variants, ["scheduler_per_epoch"])


def _functional(facts: Facts) -> str:
    """How the script names torch.nn.functional, else torch's own softmax functions."""
    for node in ast.walk(facts.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "torch.nn.functional" and alias.asname:
                    return alias.asname
        if isinstance(node, ast.ImportFrom) and node.module == "torch.nn":
            for alias in node.names:
                if alias.name == "functional":
                    return alias.asname or "functional"
    return "torch"


def softmax_loss(facts: Facts) -> Plan:
    _require_training(facts)
    call = facts.loss_call
    if call is None or not call.args or call.args[0].lineno != call.args[0].end_lineno:
        raise Skip("no_loss")
    scores = call.args[0]
    text = ast.unparse(scores)
    f = _functional(facts)
    planted = f"{f}.softmax({text}, dim=1)"
    return Plan([_replace_in_line(facts, scores, planted)], [
        Case(f"{f}.log_softmax({text}, dim=1) before the loss (the same loss)",
             [_replace_in_line(facts, scores, f"{f}.log_softmax({text}, dim=1)")], "pass"),
        Case(f"torch.sigmoid({text}) instead of softmax: still probabilities",
             [_replace_in_line(facts, scores, f"torch.sigmoid({text})")], "fail", ("loss_on_logits",)),
    ], ["loss_on_logits"])


def _split_flags(facts: Facts) -> tuple[ast.keyword, ast.keyword]:
    flags = {True: [], False: []}
    for node in ast.walk(facts.tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "train" and isinstance(keyword.value, ast.Constant) \
                        and isinstance(keyword.value.value, bool):
                    flags[keyword.value.value].append(keyword)
    if len(flags[True]) != 1 or len(flags[False]) != 1:
        raise Skip("no_split_flags")
    return flags[True][0], flags[False][0]


def data_split(facts: Facts) -> Plan:
    train_flag, test_flag = _split_flags(facts)
    if train_flag.lineno == test_flag.lineno:
        raise Skip("no_split_flags")
    to_test = _replace_in_line(facts, train_flag.value, "False")
    to_train = _replace_in_line(facts, test_flag.value, "True")
    variants = [Case("only the training set fixed: the evaluation still reads the training split", [to_train],
                     "fail", ("train_split",))]
    shuffles = [(n, k) for n in ast.walk(facts.tree) if isinstance(n, ast.Call) and call_name(n) == "DataLoader"
                and n.args for k in n.keywords if k.arg == "shuffle" and isinstance(k.value, ast.Constant)
                and k.value.value is True and k.lineno == k.end_lineno]
    if len(shuffles) == 1:
        loader, keyword = shuffles[0]
        line = facts.line(keyword.lineno)
        sampler = f"sampler=torch.utils.data.RandomSampler({ast.unparse(loader.args[0])})"
        variants.insert(0, Case("a RandomSampler instead of shuffle=True", [LineEdit(
            keyword.lineno, keyword.lineno, line[:keyword.col_offset] + sampler + line[keyword.end_col_offset:])],
            "pass"))
        variants.append(Case("the training loader no longer shuffled", [LineEdit(
            keyword.lineno, keyword.lineno, line[:keyword.value.col_offset] + "False"
            + line[keyword.value.end_col_offset:])], "fail", ("train_shuffled",)))
    else:
        variants.insert(0, Case("train=True and train=False written as train=1 and train=0", [
            _replace_in_line(facts, train_flag.value, "1"), _replace_in_line(facts, test_flag.value, "0")], "pass"))
    return Plan([to_test, to_train], variants, ["train_split"] + (["train_shuffled"] if shuffles else []))


def loss_item(facts: Facts) -> Plan:
    _require_training(facts)
    sums = []
    for statement in statements(facts.batch_loop.body):
        if isinstance(statement, ast.AugAssign) and isinstance(statement.op, ast.Add):
            value = statement.value
            if isinstance(value, ast.Call) and not value.args and call_name(value) == "item" \
                    and isinstance(value.func, ast.Attribute) and isinstance(value.func.value, ast.Name):
                sums.append((statement, value, value.func.value.id))
            elif isinstance(value, ast.Call) and call_name(value) == "float" and len(value.args) == 1 \
                    and isinstance(value.args[0], ast.Name):
                sums.append((statement, value, value.args[0].id))
    if not sums or sums[0][1].lineno != sums[0][1].end_lineno:
        raise Skip("no_loss_sum")
    statement, value, loss = sums[0]
    other = f"float({loss})" if call_name(value) == "item" else f"{loss}.item()"
    return Plan([_replace_in_line(facts, value, loss)], [
        Case(other, [_replace_in_line(facts, value, other)], "pass"),
        Case(f"{loss}.detach()", [_replace_in_line(facts, value, f"{loss}.detach()")], "pass"),
        Case(f"{loss}.clone() (a copy still carries the graph)", [_replace_in_line(facts, value, f"{loss}.clone()")],
             "fail", ("train_graph_released",)),
    ], ["train_graph_released"])


def stray_break(facts: Facts) -> Plan:
    _require_training(facts)
    loop = facts.batch_loop
    body_indent = _indent(facts, loop.body[0])
    end = loop.body[-1].end_lineno
    planted = insert_after(end, f"{body_indent}break\n")
    target = loop.target
    index = target.elts[0].id if isinstance(target, ast.Tuple) and target.elts \
        and isinstance(target.elts[0], ast.Name) and isinstance(loop.iter, ast.Call) \
        and call_name(loop.iter) == "enumerate" else ""
    if index:
        early = [insert_after(end, f"{body_indent}if {index} == 10:\n{body_indent}    break\n")]
    else:
        early = [insert_before(loop.lineno, f"{_indent(facts, loop)}seen_batches = 0\n"),
                 insert_after(end, f"{body_indent}seen_batches += 1\n{body_indent}if seen_batches == 10:\n"
                                   f"{body_indent}    break\n")]
    return Plan([planted], [
        Case("continue instead of break (a no-op at the end of the loop)",
             [insert_after(end, f"{body_indent}continue\n")], "pass"),
        Case("break after 10 batches", early, "fail", ("full_epochs",)),
    ], ["full_epochs"])


def train_mode(facts: Facts) -> Plan:
    _require_training(facts)
    _require_evaluation(facts)
    if facts.train_mode_call is None:
        raise Skip("no_train_call")
    if facts.eval_call is None:
        raise Skip("no_eval_call")
    if not facts.mode_layers:
        raise Skip("no_mode_layers")
    if not facts.training_follows_evaluation():
        raise Skip("evaluation_last")
    model = receiver(facts.train_mode_call)
    where = _lines(facts.train_mode_call)
    test = facts.test
    last = test.body[-1]
    evaluated = receiver(facts.eval_call)
    restore = f"{_indent(facts, last)}{evaluated}.train()\n"
    restored = insert_before(last.lineno, restore) if isinstance(last, ast.Return) \
        else insert_after(last.end_lineno, restore)
    return Plan([delete(*where)], [
        Case(f"{evaluated}.train() at the end of {_called(test)}", [delete(*where), restored], "pass"),
        Case(f"{model}.train without parentheses", [LineEdit(*where, f"{_indent(facts, facts.train_mode_call)}"
                                                               f"{model}.train\n")], "fail", ("train_mode",)),
    ], ["train_mode"], epochs=1 if facts.test_runs_before_training() else 2)


def grad_disabled(facts: Facts) -> Plan:
    _require_training(facts)
    _require_evaluation(facts)
    if facts.no_grad_with is None and facts.no_grad_decorator is None:
        raise Skip("no_no_grad")
    if not facts.training_follows_evaluation():
        raise Skip("evaluation_last")
    planted = _without_no_grad(facts, "torch.set_grad_enabled(False)")
    first = _first_body_statement(facts.train)
    switched_on = insert_before(first.lineno, f"{_indent(facts, first)}torch.set_grad_enabled(True)\n")
    backward = facts.backward
    indent = _indent(facts, backward)
    wrapped = LineEdit(backward.lineno, backward.end_lineno, f"{indent}with torch.enable_grad():\n"
                       + reindented(_whole(facts, backward), add="    "))
    return Plan(planted, [
        Case(f"torch.set_grad_enabled(True) at the start of {_called(facts.train)}", planted + [switched_on],
             "pass"),
        Case("only backward() wrapped in torch.enable_grad()", planted + [wrapped], "fail", ("grad_enabled_train",)),
    ], ["grad_enabled_train"], epochs=1 if facts.test_runs_before_training() else 2)


PLANTERS = {"zero_grad": zero_grad, "reshape": reshape, "eval_mode": eval_mode, "no_grad": no_grad,
            "resume": resume, "scheduler": scheduler, "softmax_loss": softmax_loss, "data_split": data_split,
            "loss_item": loss_item, "stray_break": stray_break, "train_mode": train_mode,
            "grad_disabled": grad_disabled, "checkpoint": checkpoint}

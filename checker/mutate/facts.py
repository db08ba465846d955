"""What `checker mutate` reads in an instructor's script before planting anything: its entry points, the batch
loop of its training function, its evaluation, its model classes and its data. Read from the source alone; nothing
is imported or run here."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from checker.rules.syntax import ancestors, call_name, link_parents, uses_dropout_or_batchnorm

LOSS_FUNCTIONS = {"cross_entropy": "ce", "nll_loss": "nll", "CrossEntropyLoss": "ce", "NLLLoss": "nll"}
EPOCHS_NAME = re.compile(r"n_\w*epochs|num_epochs|epochs|EPOCHS|N_EPOCHS|NUM_EPOCHS")
EPOCHS_FLAG = re.compile(r"--(n-|num-|num_|n_)?epochs")
# Datasets a script may read that the checker does not supply (it supplies MNIST, wherever the script looks for it).
OTHER_DATASETS = {"FashionMNIST", "EMNIST", "KMNIST", "QMNIST", "CIFAR10", "CIFAR100", "SVHN", "STL10", "ImageFolder",
                  "DatasetFolder", "ImageNet", "CelebA", "load_dataset"}


@dataclass
class Facts:
    source: str
    tree: ast.Module
    lines: list[str]
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)
    main: ast.FunctionDef | None = None
    train: ast.FunctionDef | None = None
    test: ast.FunctionDef | None = None
    model_classes: list[ast.ClassDef] = field(default_factory=list)
    batch_loop: ast.For | None = None  # the loop over batches in the training function
    test_loop: ast.For | None = None
    backward: ast.stmt | None = None
    optimizer_step: ast.stmt | None = None
    optimizer: str = ""  # the name the training function steps
    zero_grad: ast.stmt | None = None
    loss_call: ast.Call | None = None  # the loss computed in the batch loop
    loss_kind: str = ""  # "ce" or "nll"
    train_mode_call: ast.stmt | None = None  # model.train() in the training function
    eval_call: ast.stmt | None = None  # model.eval() in the evaluation function
    no_grad_with: ast.With | None = None  # `with torch.no_grad():` in the evaluation function
    no_grad_decorator: ast.expr | None = None  # @torch.no_grad() on the evaluation function
    epochs_name: str = ""  # the module-level epoch count
    epochs_flag: str = ""  # else the command-line option argparse reads it from (--epochs)
    other_datasets: list[int] = field(default_factory=list)  # lines of datasets the checker cannot supply
    reads_mnist: bool = False  # torchvision's MNIST (any folder, downloaded or not) or torchdrill's mnist_root
    top_level: bool = False  # the training is the script's own top-level code (see _read_top_level)

    def line(self, number: int) -> str:
        return self.lines[number - 1]

    @property
    def mode_layers(self) -> bool:
        """Whether the script's models have dropout or BatchNorm, as lint's eval-mode rules (TD104, TD112) judge it:
        without them, a missing eval() or train() changes nothing, and lint rightly stays silent."""
        return uses_dropout_or_batchnorm(self.tree) is True

    @property
    def model_class(self) -> str:
        return self.model_classes[0].name if self.model_classes else ""

    def calls_in_main(self, name: str) -> list[ast.Call]:
        if not self.main:
            return []
        return [n for n in ast.walk(self.main) if isinstance(n, ast.Call) and call_name(n) == name]

    def test_runs_before_training(self) -> bool:
        """Whether main() evaluates before its first call to the training function (so a mode the evaluation
        leaves behind reaches the first epoch)."""
        tests = self.calls_in_main(self.test.name) if self.test else []
        trains = self.calls_in_main(self.train.name) if self.train else []
        return bool(tests and trains) and min(t.lineno for t in tests) < min(t.lineno for t in trains)

    def training_follows_evaluation(self) -> bool:
        """Whether a training step can come after an evaluation, so that a mode or a grad switch the evaluation
        leaves behind reaches the training: main() evaluates before it trains, or in the loop that trains."""
        if self.main is None or self.test is None or self.train is None or self.batch_loop is None:
            return False
        evaluations = _sites(self, self.test)
        trainings = _sites(self, self.train)
        if not evaluations or not trainings:
            return False
        if min(n.lineno for n in evaluations) < min(n.lineno for n in trainings):
            return True
        link_parents(self.tree)
        return bool(_loops_around(evaluations) & _loops_around(trainings))


def read_facts(source: str) -> Facts:
    tree = ast.parse(source)
    facts = Facts(source, tree, source.splitlines(keepends=True))
    facts.functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    facts.main = facts.functions.get("main")
    facts.model_classes = [n for n in tree.body if isinstance(n, ast.ClassDef)
                           and any(ast.unparse(b).endswith("Module") for b in n.bases)]
    dataset_calls = [(call_name(n), n.lineno) for n in ast.walk(tree) if isinstance(n, ast.Call)]
    facts.reads_mnist = any(name in ("MNIST", "mnist_root") for name, _ in dataset_calls)
    facts.other_datasets = sorted({line for name, line in dataset_calls if name in OTHER_DATASETS})
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and EPOCHS_NAME.fullmatch(node.targets[0].id) and isinstance(node.value, ast.Constant):
            facts.epochs_name = node.targets[0].id
            break
    if not facts.epochs_name:
        facts.epochs_flag = next((call.args[0].value for call in ast.walk(tree) if isinstance(call, ast.Call)
                                  and call_name(call) == "add_argument" and call.args
                                  and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
                                  and EPOCHS_FLAG.fullmatch(call.args[0].value)), "")
    if facts.main is None:
        _read_top_level(facts)
    _read_training(facts)
    _read_evaluation(facts)
    return facts


# A top-level script's parts, read as the functions they become when it runs (checker.child.script_shape).
TOP_LEVEL_MAIN, TRAINING_LOOP, EVALUATION_LOOP = "top_level_code", "training_loop", "evaluation_loop"


def _read_top_level(facts: Facts) -> None:
    """A script with no main() whose training loop is top-level code: its top-level code stands for main(), and
    its training and evaluation loops (with the train() or eval() call just before each, and the no_grad block
    around the evaluation) for the training and evaluation functions, which the checker makes of them when it
    runs the script (scenario shape "script"). A loop inside a function of the script's own keeps that function."""
    from checker.child.script_shape import evaluation_loop, training_loop

    training = training_loop(facts.tree.body)
    if training is None:
        return
    facts.top_level = True
    top_level = [s for s in facts.tree.body if not isinstance(s, (ast.FunctionDef, ast.ClassDef, ast.Import,
                                                                  ast.ImportFrom))]
    facts.main = _pseudo_function(TOP_LEVEL_MAIN, top_level)
    own = list(facts.functions.values())
    pseudo = {}
    if not any(training_loop(f.body) for f in own):
        pseudo[TRAINING_LOOP] = _pseudo_function(TRAINING_LOOP, _with_mode_call(facts.tree, training, "train"))
    evaluation = evaluation_loop(facts.tree.body, training)
    if evaluation is not None and not any(evaluation_loop(f.body) for f in own):
        pseudo[EVALUATION_LOOP] = _pseudo_function(EVALUATION_LOOP, _with_mode_call(facts.tree, evaluation, "eval"))
    facts.functions = {**pseudo, **facts.functions}


def _sites(facts: Facts, function: ast.FunctionDef) -> list[ast.AST]:
    """Where `function` runs in the script: the loop itself for one made of a top-level loop, else each call to it
    in main()."""
    if getattr(function, "pseudo", False):
        return [function.body[0]]
    return facts.calls_in_main(function.name)


def _loops_around(nodes: list[ast.AST]) -> set[int]:
    """The loops that hold any of `nodes` (their ids; the tree's parents linked)."""
    return {id(a) for n in nodes for a in ancestors(n) if isinstance(a, (ast.For, ast.While))}


def _pseudo_function(name: str, body: list[ast.stmt]) -> ast.FunctionDef:
    function = ast.FunctionDef(name=name, args=ast.arguments([], [], None, [], [], None, []), body=body,
                               decorator_list=[], returns=None, lineno=body[0].lineno, col_offset=0,
                               end_lineno=body[-1].end_lineno, end_col_offset=0)
    function.pseudo = True  # no def of the script's own: the checker makes it when the script runs
    return function


def _with_mode_call(tree: ast.Module, loop: ast.For, mode: str) -> list[ast.stmt]:
    """The loop's statements as its function's body: the `with torch.no_grad():` whose body it is, and the
    `model.train()` or `model.eval()` call before it, with the simple statements between, where the script has
    them."""
    link_parents(tree)
    unit = loop
    parent = getattr(loop, "_td_parent", None)
    if isinstance(parent, ast.With) and len(parent.items) == 1 and _is_no_grad(parent.items[0].context_expr):
        unit = parent
    siblings = _siblings(unit) or [unit]
    index = next(i for i, s in enumerate(siblings) if s is unit)
    start = index
    while start and not isinstance(siblings[start - 1], (ast.For, ast.While, ast.With, ast.If, ast.Try)):
        start -= 1  # the simple statements before the loop (its counters, the mode call) belong with it
        if method_call(siblings[start], mode):
            return siblings[start:index + 1]
    return [unit]


def _siblings(node: ast.stmt) -> list[ast.stmt] | None:
    """The statement list that holds `node` (the tree's parents linked)."""
    parent = getattr(node, "_td_parent", None)
    for name in ("body", "orelse", "finalbody"):
        statements_ = getattr(parent, name, None)
        if isinstance(statements_, list) and any(s is node for s in statements_):
            return statements_
    return None


def _read_training(facts: Facts) -> None:
    for function in facts.functions.values():
        for loop in (n for n in ast.walk(function) if isinstance(n, ast.For)):
            backward = _statement_calling(loop.body, "backward")
            if backward is None:
                continue
            facts.train, facts.batch_loop, facts.backward = function, loop, backward
            steps = [s for s in statements(loop.body) if method_call(s, "step")
                     and "sched" not in receiver(s).lower() and s.lineno > backward.lineno]
            if steps:
                facts.optimizer_step, facts.optimizer = steps[0], receiver(steps[0])
            zero = [s for s in statements(loop.body) if method_call(s, "zero_grad")]
            facts.zero_grad = zero[0] if zero else None
            facts.loss_call, facts.loss_kind = _loss_call(facts, function, loop)
            modes = [s for s in function.body if method_call(s, "train")]
            facts.train_mode_call = modes[0] if modes else None
            return


def _read_evaluation(facts: Facts) -> None:
    """The evaluation function: the one main() calls, other than the training function, that runs a loop and
    looks like an evaluation (eval(), no_grad, or a name such as test/evaluate/validate)."""
    candidates = []
    for function in facts.functions.values():
        if function is facts.train or function is facts.main:
            continue
        loops = [n for n in ast.walk(function) if isinstance(n, ast.For)]
        if not loops or _statement_calling(function.body, "backward") is not None:
            continue
        looks = (any(method_call(s, "eval") for s in function.body) or _no_grad_with(function) is not None
                 or _no_grad_decorator(function) is not None
                 or re.search(r"test|eval|valid", function.name) is not None)
        if looks and (not facts.main or getattr(function, "pseudo", False) or facts.calls_in_main(function.name)):
            candidates.append((function, loops[0]))
    if not candidates:
        return
    facts.test, facts.test_loop = candidates[0]
    evals = [s for s in facts.test.body if method_call(s, "eval")]
    facts.eval_call = evals[0] if evals else None
    facts.no_grad_with = _no_grad_with(facts.test)
    facts.no_grad_decorator = _no_grad_decorator(facts.test)


def _loss_call(facts: Facts, function: ast.FunctionDef, loop: ast.For) -> tuple[ast.Call | None, str]:
    """The loss computed in the batch loop, and whether it takes logits ("ce") or log-probabilities ("nll"):
    F.cross_entropy(...) directly, or a name bound to nn.CrossEntropyLoss() anywhere in the script."""
    bound = {}
    for node in ast.walk(facts.tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            kind = LOSS_FUNCTIONS.get(call_name(node.value))
            if kind and node.value.func and call_name(node.value)[0].isupper():
                for target in node.targets:
                    bound[ast.unparse(target)] = kind
    for statement in statements(loop.body):
        for call in (n for n in ast.walk(statement) if isinstance(n, ast.Call)):
            name = call_name(call)
            kind = LOSS_FUNCTIONS.get(name) if name[:1].islower() else None
            kind = kind or bound.get(ast.unparse(call.func))
            if kind and call.args:
                return call, kind
    return None, ""


def statements(body: list[ast.stmt]):
    """Every statement in `body`, nested ones included (not into nested functions)."""
    for statement in body:
        yield statement
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(statement, name, None)
            if isinstance(inner, list) and not isinstance(statement, (ast.FunctionDef, ast.ClassDef)):
                yield from statements(inner)


def _statement_calling(body: list[ast.stmt], method: str) -> ast.stmt | None:
    return next((s for s in statements(body) if method_call(s, method)), None)


def method_call(statement: ast.stmt, method: str) -> bool:
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Attribute) and statement.value.func.attr == method)


def receiver(statement: ast.stmt) -> str:
    return ast.unparse(statement.value.func.value)


def _is_no_grad(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Call) and call_name(expr) in {"no_grad", "inference_mode"}


def _no_grad_with(function: ast.FunctionDef) -> ast.With | None:
    return next((s for s in statements(function.body) if isinstance(s, ast.With) and len(s.items) == 1
                 and _is_no_grad(s.items[0].context_expr)), None)


def _no_grad_decorator(function: ast.FunctionDef) -> ast.expr | None:
    return next((d for d in function.decorator_list if _is_no_grad(d)), None)


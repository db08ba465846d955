"""The tamper lint flags code that reaches into the checker's process, with its line, and stays quiet on every
training script, variant and quiz snippet that ships."""
from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from checker import scenario as scenarios
from checker.messages import CATALOG
from checker.tamper import TamperHit, tamper_hits
from quizzes.live import program_for
from quizzes.schema import default_banks_dir, discover, load as load_bank
from tests.conftest import REPO

CODES = {"runtime_import", "native_import", "process_import", "builtins_access", "checker_import",
         "interpreter_hook", "sys_modules", "introspection", "torch_patch", "builtins_patch", "os_call", "fd_open",
         "dynamic_code", "dynamic_import", "obfuscated_attribute", "unreadable", "not_allowed_import",
         "member_access", "private_access", "namespace_access", "class_patch", "unsafe_load"}
HOSTILE = REPO / "tests" / "fixtures" / "hostile"


def hits(source: str) -> list[tuple[str, int]]:
    return [(h.code, h.line) for h in tamper_hits(ast.parse(source))]


FLAGGED = [  # (source, code, line of the hit)
    ("import gc\n", "runtime_import", 1),
    ("x = 1\nfrom gc import get_referrers\n", "runtime_import", 2),
    ("import inspect\n", "runtime_import", 1),
    ("from inspect import currentframe as cf\n", "runtime_import", 1),
    ("import sys\nf = sys._getframe(1)\n", "interpreter_hook", 2),
    ("import sys as s\n\ndef main():\n    return s._getframe().f_back\n", "interpreter_hook", 4),
    ("from sys import _getframe\n", "interpreter_hook", 1),
    ("from sys import _getframe as g\nx = 1\ng()\n", "interpreter_hook", 3),
    ("import sys\nsys._current_frames()\n", "interpreter_hook", 2),
    ("import sys\nsys.settrace(lambda *a: None)\n", "interpreter_hook", 2),
    ("import sys\nsys.setprofile(None)\n", "interpreter_hook", 2),
    ("import sys\nsys.addaudithook(print)\n", "interpreter_hook", 2),
    ("import sys\nhook = sys.settrace\n", "interpreter_hook", 2),
    ("def f(frame):\n    return frame.f_back\n", "introspection", 2),
    ("def f(frame):\n    return frame.f_locals['model']\n", "introspection", 2),
    ("def f(frame):\n    return frame.f_globals\n", "introspection", 2),
    ("def f(g):\n    return g.gi_frame\n", "introspection", 2),
    ("def f(tb):\n    return tb.tb_frame\n", "introspection", 2),
    ("def f():\n    pass\nf.__globals__\n", "introspection", 3),
    ("def f():\n    pass\nf.__closure__\n", "introspection", 3),
    ("def f():\n    pass\nf.__code__ = None\n", "introspection", 3),
    ("object.__subclasses__()\n", "introspection", 1),
    ("def f(m):\n    return m.__builtins__\n", "introspection", 2),
    ("def f(frame):\n    return getattr(frame, 'f_back')\n", "introspection", 2),
    ("import ctypes\n", "native_import", 1),
    ("from ctypes import pythonapi\n", "native_import", 1),
    ("import _ctypes\n", "native_import", 1),
    ("import cffi\n", "native_import", 1),
    ("import torch\ntorch.Tensor.eq = lambda *a: True\n", "torch_patch", 2),
    ("import torch\ntorch.Tensor.register_hook = None\n", "torch_patch", 2),
    ("import torch.nn as nn\nnn.Module.__call__ = print\n", "torch_patch", 2),
    ("import torch.optim as optim\noptim.Optimizer.zero_grad = lambda self: None\n", "torch_patch", 2),
    ("import torch.nn.functional as F\nF.nll_loss = print\n", "torch_patch", 2),
    ("from torch.optim import SGD\nSGD.step = lambda self, closure=None: None\n", "torch_patch", 2),
    ("from torch import nn, optim, Tensor\nTensor.argmax = None\n", "torch_patch", 2),
    ("import torch\ntorch.optim.SGD.step = None\n", "torch_patch", 2),
    ("import torch\ntorch.nn.Linear.forward = None\n", "torch_patch", 2),
    ("import torch\ntorch.Tensor.__eq__ += 1\n", "torch_patch", 2),
    ("import torch\ndel torch.Tensor.eq\n", "torch_patch", 2),
    ("import torch\na, torch.manual_seed = 1, print\n", "torch_patch", 2),
    ("import torch\nsetattr(torch.Tensor, 'eq', print)\n", "torch_patch", 2),
    ("import torch\ndelattr(torch.optim.SGD, 'step')\n", "torch_patch", 2),
    ("import torch\nT = torch.Tensor\nT.eq = print\n", "torch_patch", 3),
    ("import torch\nvars(torch)['manual_seed'] = print\n", "torch_patch", 2),
    ("import torch\ntorch.nn.functional.__dict__['relu'] = print\n", "torch_patch", 2),
    ("import sys\nsys.modules['torch'] = None\n", "sys_modules", 2),
    ("import sys\nharness = sys.modules['checker.child.harness']\n", "sys_modules", 2),
    ("from sys import modules\nmodules.pop('torch')\n", "sys_modules", 2),
    ("import builtins\n", "builtins_access", 1),
    ("import builtins\nbuiltins.print = len\n", "builtins_patch", 2),
    ("__builtins__.print = len\n", "builtins_patch", 1),
    ("__builtins__['print'] = len\n", "builtins_patch", 1),
    ("print(__builtins__)\n", "builtins_access", 1),
    ("import os\nos.write(1, b'x')\n", "os_call", 2),
    ("import os as o\no.write(3, b'{}')\n", "os_call", 2),
    ("from os import dup2\n", "os_call", 1),
    ("from os import *\nwrite(1, b'x')\n", "os_call", 1),
    ("from sys import *\n", "interpreter_hook", 1),
    ("import os\nos.dup(1)\n", "os_call", 2),
    ("import os\nos.pipe()\n", "os_call", 2),
    ("import os\nos.fdopen(3, 'w')\n", "os_call", 2),
    ("import os\nos.open('x', os.O_RDONLY)\n", "os_call", 2),
    ("import os\nos.fork()\n", "os_call", 2),
    ("import os\nos.forkpty()\n", "os_call", 2),
    ("import os\nos.kill(os.getppid(), 9)\n", "os_call", 2),
    ("import os\nos.killpg(0, 9)\n", "os_call", 2),
    ("import os\nos.setsid()\n", "os_call", 2),
    ("import os\nos.system('ls')\n", "os_call", 2),
    ("import os\nos.popen('ls')\n", "os_call", 2),
    ("import os\nos.execv('/bin/sh', ['sh'])\n", "os_call", 2),
    ("import os\nos.spawnlp(os.P_WAIT, 'ls', 'ls')\n", "os_call", 2),
    ("import os\nos.posix_spawnp('ls', ['ls'], {})\n", "os_call", 2),
    ("import os\nos._exit(0)\n", "os_call", 2),
    ("import os\nrun = os.system\n", "os_call", 2),
    ("import pty\n", "process_import", 1),
    ("import subprocess\n", "process_import", 1),
    ("from subprocess import Popen\n", "process_import", 1),
    ("import multiprocessing\n", "process_import", 1),
    ("from multiprocessing import Process\n", "process_import", 1),
    ("import socket\n", "process_import", 1),
    ("import signal\n", "process_import", 1),
    ("open(1, 'w')\n", "fd_open", 1),
    ("import sys\nopen(sys.stdout.fileno(), 'wb')\n", "fd_open", 2),
    ("import io\nio.open(3, 'w')\n", "fd_open", 2),
    ("open('/proc/self/fd/3', 'w')\n", "fd_open", 1),
    ("exec(source)\n", "dynamic_code", 1),
    ("eval(input())\n", "dynamic_code", 1),
    ("code = compile(text, 'x', 'exec')\n", "dynamic_code", 1),
    ("import base64\nexec(base64.b64decode('aW1wb3J0IGdj'))\n", "dynamic_code", 2),
    ("exec('import gc')\n", "runtime_import", 1),
    ("x = 1\neval('__import__(\"os\").system(\"ls\")')\n", "os_call", 2),
    ("run = exec\n", "dynamic_code", 1),
    ("run = exec\nrun(source)\n", "dynamic_code", 2),
    ("import marshal\n", "dynamic_code", 1),
    ("__import__(name)\n", "dynamic_import", 1),
    ("__import__('s' + 'ys')\n", "dynamic_import", 1),
    ("import importlib\nimportlib.import_module(name)\n", "dynamic_import", 2),
    ("import importlib\nimportlib.__import__(name)\n", "dynamic_import", 2),
    ("from importlib import import_module\nimport_module(name)\n", "dynamic_import", 2),
    ("import runpy\nrunpy.run_path('solution.py')\n", "dynamic_import", 2),
    ("import importlib.util\nimportlib.util.spec_from_file_location('s', 'x.py')\n", "dynamic_import", 2),
    ("import sys\ngetattr(sys, name)()\n", "obfuscated_attribute", 2),
    ("import os\ngetattr(os, 'wri' + 'te')(1, b'x')\n", "obfuscated_attribute", 2),
    ("import torch\nsetattr(torch.Tensor, name, print)\n", "obfuscated_attribute", 2),
    ("import gc\ndelattr(gc, name)\n", "obfuscated_attribute", 2),
    ("import sys\ngetattr(sys, '_getframe')(1)\n", "interpreter_hook", 2),
    ("getattr(__import__('s' + 'ys'), '_getframe')\n", "dynamic_import", 1),
    ("getattr(__import__('sys'), '_getframe')\n", "interpreter_hook", 1),
    ("import checker\n", "checker_import", 1),
    ("import checker.progress\n", "checker_import", 1),
    ("from checker.child import harness\n", "checker_import", 1),
    ("from checker import verdict\n", "checker_import", 1),
    ("import reference.solutions.zero_grad\n", "checker_import", 1),
    ("from reference.solutions import zero_grad\n", "checker_import", 1),
    ("from reference import solutions\n", "checker_import", 1),
    ("import torchdrill\n", "checker_import", 1),
    ("from torchdrill import entry\n", "checker_import", 1),
    ("import torchdrill.checker\n", "checker_import", 1),
    ("from torchdrill.data import use_our_packages\n", "checker_import", 1),
    ("__import__('checker')\n", "checker_import", 1),
    ("import importlib\nimportlib.import_module('checker.progress')\n", "checker_import", 2),
    # Beyond the allowlist (checker/allowlist.toml): what graded code is not declared to need, and reflection.
    ("import pkgutil\npkgutil.resolve_name('checker.child.probes:ProbeSet').report = None\n", "not_allowed_import", 1),
    ("import importlib\ntv = importlib.import_module('torchvision')\n", "not_allowed_import", 1),
    ("import pandas as pd\n", "not_allowed_import", 1),
    ("from . import helpers\n", "not_allowed_import", 1),
    ("import operator\nf = operator.attrgetter('child.probes')\n", "member_access", 2),
    ("from operator import methodcaller\n", "member_access", 1),
    ("import os\nos.chmod('x', 0o777)\n", "member_access", 2),
    ("import torch\ntorch.nn.modules.module._global_forward_hooks.clear()\n", "private_access", 2),
    ("from torch.optim.optimizer import _global_optimizer_pre_hooks\n", "private_access", 1),
    ("import torch\ntorch._C._set_grad_enabled(True)\n", "private_access", 2),
    ("def f(obj, name):\n    return getattr(obj, name)\n", "obfuscated_attribute", 2),
    ("def f(obj, name, value):\n    setattr(obj, name, value)\n", "obfuscated_attribute", 2),
    ("def f(obj, name):\n    return hasattr(obj, name)\n", "obfuscated_attribute", 2),
    ("import functools\nfunctools.reduce(getattr, ['a', 'b'], obj)\n", "obfuscated_attribute", 2),
    ("look = getattr\n", "obfuscated_attribute", 1),
    ("names = globals()\n", "namespace_access", 1),
    ("def f():\n    return vars()\n", "namespace_access", 2),
    ("def f(x):\n    return locals()[x]\n", "namespace_access", 2),
    ("def f(model):\n    return model.__dict__\n", "introspection", 2),
    ("def f(cls):\n    return cls.__mro__\n", "introspection", 2),
    ("def f(x):\n    return object.__getattribute__(x, 'y')\n", "introspection", 2),
    ("import torch\ntype(torch.zeros(1)).argmax = None\n", "class_patch", 2),
    ("def f(x):\n    x.__class__.step = None\n", "class_patch", 2),
    ("import torch\nstate = torch.load('c.pt', weights_only=False)\n", "unsafe_load", 2),
]


@pytest.mark.parametrize("source, code, line", FLAGGED, ids=[s.strip().splitlines()[-1][:50] for s, _, _ in FLAGGED])
def test_each_construct_is_flagged_with_its_line(source, code, line):
    assert (code, line) in hits(source), hits(source)


NOT_FLAGGED = [
    "model.fc1 = None\n",
    "import torch\n\ndef f(optimizer):\n    optimizer.param_groups[0]['lr'] = 0.1\n",
    "def f(args):\n    args.epochs = 1\n",
    "class A:\n    def __init__(self):\n        self.x = 1\n",
    "def f(network):\n    network.training = False\n",
    "def f(loss):\n    loss.requires_grad = True\n",
    "import torch\ntorch.backends.cudnn.deterministic = True\ntorch.backends.cudnn.benchmark = False\n",
    "import torch\nx = torch.zeros(3)\nx[0] = 1\nx += 1\n",
    "import torch.nn as nn\nlayer = nn.Linear\nlayer = layer(3, 4)\nlayer.weight = None\n",
    "def f(args):\n    return getattr(args, 'dry_run', False)\n",
    "import torch.nn.functional as F\nact = getattr(F, 'relu')\n",
    "import sys\nimport os\nsys.path.insert(0, os.path.dirname(__file__))\nsys.exit(0)\n",
    "import os\nos.makedirs('out', exist_ok=True)\nos.path.join('a', 'b')\nprint(os.environ.get('X'))\n",
    "with open('log.txt', 'w') as f:\n    f.write('x')\n",
    "import torch\nmodel = None\nmodel.eval()\ntorch.compile(model)\n",
    "def test(model, eval=False):\n    if eval:\n        model.eval()\n",
    "x = eval('1 + 1')\nexec('y = 2')\n",
    "import torch.multiprocessing\nfrom reference.data import mnist_root\nfrom reference.models import Net\n",
    "import torch\nprint(torch.__version__, type(model).__name__, model.__class__.__name__)\n",
    "class Net:\n    def __init__(self):\n        super().__init__()\n    def __len__(self):\n        return 1\n",
    "import tqdm\nimport numpy as np\nimport matplotlib.pyplot as plt\nimport argparse, json, math, time\n",
    "import torch\ntorch._dynamo.config.suppress_errors = True\n",
    "import torch\nstate = torch.load('c.pt', map_location='cpu')\n",
]


@pytest.mark.parametrize("source", NOT_FLAGGED)
def test_ordinary_code_is_not_flagged(source):
    assert hits(source) == []


def test_hits_are_sorted_by_line_and_carry_a_detail():
    found = tamper_hits(ast.parse("import os\nimport gc\nos.write(1, b'')\nimport sys\nsys._getframe()\n"))
    assert [h.line for h in found] == sorted(h.line for h in found)
    assert TamperHit("os_call", 3, "os.write") in found and TamperHit("runtime_import", 2, "gc") in found
    assert all(isinstance(h, TamperHit) and h.detail for h in found)


def _shipped_sources():
    for path in sorted([*(REPO / "buggy_examples").glob("*.py"), *(REPO / "reference" / "solutions").glob("*.py"),
                        REPO / "checker" / "templates" / "script.py.txt"]):
        yield str(path.relative_to(REPO)), path.read_text(encoding="utf-8")
    for s in scenarios.load_all():
        for variant in s.variants:  # the same code path as `checker selftest`
            yield f"{s.id}: {variant.name}", scenarios.variant_source(s, variant)


def _quiz_sources():
    """Every bank's setup, and each question's shown code, evidence, setup, check and accepted programs."""
    for bank_id, path in discover(default_banks_dir()).items():
        bank = load_bank(path)
        yield bank_id, bank.setup
        for q in bank.questions:
            check = [q.check.target, q.check.expected, q.check.predicate] if q.check else []
            answers = [q.answer, *q.accept] if q.kind in ("code", "fill", "order") else []
            programs = [program_for(q, list(a) if isinstance(a, tuple) else a) for a in answers if a is not None]
            for text in [q.setup, q.code, q.evidence, *q.steps, *check, *programs]:
                yield f"{bank_id}.{q.id}", text


def test_zero_false_positives_on_every_shipped_script_variant_and_quiz_snippet():
    parsed, flagged = 0, []
    for where, source in [*_shipped_sources(), *_quiz_sources()]:
        if not isinstance(source, str) or not source.strip():
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:  # a fill template with its blank, a prose field: not code on its own
            continue
        parsed += 1
        flagged += [(where, hit) for hit in tamper_hits(tree)]
    assert flagged == []
    assert parsed > 300  # the scripts, the variants and the quiz snippets were all reached


@pytest.mark.parametrize("name, code", [("monkeypatch_torch", "torch_patch"), ("import_checker", "checker_import"),
                                        ("kill_parent", "os_call"), ("os_exit", "os_call"),
                                        ("read_solutions", "dynamic_code"), ("pickle_weights", "os_call")])
def test_the_tampering_hostile_fixtures_are_flagged(name, code):
    assert code in {h.code for h in tamper_hits(ast.parse((HOSTILE / f"{name}.py").read_text()))}


@pytest.mark.parametrize("name", ["print_pass", "sys_exit", "huge_allocation", "output_flood"])
def test_hostile_fixtures_that_do_not_tamper_are_left_to_the_run(name):
    assert tamper_hits(ast.parse((HOSTILE / f"{name}.py").read_text())) == []


def _chain(depth: int, leaf: ast.expr, wrap) -> ast.expr:
    for _ in range(depth):
        leaf = wrap(leaf)
    return leaf


def _module(expression: ast.expr) -> ast.Module:
    return ast.Module([ast.Import([ast.alias("os")]), ast.Import([ast.alias("torch")]), ast.Expr(expression)], [])


@pytest.mark.parametrize("terms", [500, 5000])
def test_a_long_sum_does_not_raise(terms):
    source = "x = " + "+".join(["1"] * terms) + "\n"
    try:
        tree = ast.parse(source)
    except RecursionError:  # CPython's parser gives up on this depth itself; build the same tree by hand
        tree = _module(_chain(terms, ast.Constant(1), lambda x: ast.BinOp(x, ast.Add(), ast.Constant(1))))
    assert tamper_hits(tree) == []


def _name(identifier: str) -> ast.Name:
    return ast.Name(identifier, ast.Load())


DEEP = {  # trees far deeper than the recursion limit, as a parser without limits could produce them
    "nested calls": (lambda x: ast.Call(_name("f"), [x], []), ast.Constant(1), []),
    "parentheses": (lambda x: ast.BinOp(x, ast.Mult(), ast.Constant(2)), ast.Constant(1), []),
    "attribute chain": (lambda x: ast.Attribute(x, "a", ast.Load()), _name("torch"), []),
    "method chain": (lambda x: ast.Call(ast.Attribute(x, "m", ast.Load()), [], []), _name("x"), []),
    "getattr chain": (lambda x: ast.Call(_name("getattr"), [x, ast.Constant("a")], []), _name("torch"), []),
    "computed getattr chain": (lambda x: ast.Call(_name("getattr"), [x, _name("n")], []), _name("torch"),
                               ["obfuscated_attribute"]),
    "nested exec": (lambda x: ast.Call(_name("exec"), [x], []), ast.Constant("1"), ["dynamic_code"]),
}


@pytest.mark.parametrize("depth", [1000, 50_000])
@pytest.mark.parametrize("shape", list(DEEP))
def test_deep_trees_are_walked_without_recursion(shape, depth):
    wrap, leaf, codes = DEEP[shape]
    assert [h.code for h in tamper_hits(_module(_chain(depth, leaf, wrap)))] == codes


def test_deep_nesting_that_parses_is_handled():
    for source in ("x = " + "(" * 150 + "1" + ")" * 150, "f(" * 150 + "1" + ")" * 150, "x = " + "[" * 150 + "]" * 150):
        assert tamper_hits(ast.parse(source)) == []


def test_a_deeply_nested_assignment_target_is_unpacked_without_recursion():
    target = _chain(50_000, ast.Name("a", ast.Store()), lambda x: ast.Tuple([x], ast.Store()))
    assert tamper_hits(ast.Module([ast.Assign([target], ast.Constant(1))], [])) == []


def test_every_code_has_an_english_and_a_chinese_message():
    section = tomllib.loads(Path(CATALOG).read_text(encoding="utf-8"))["tamper"]
    assert set(section) == CODES | {"why", "needs_review"}
    for key, entry in section.items():
        assert entry["en"].strip() and entry["zh"].strip(), key
        assert entry["en"].count("{detail}") == entry["zh"].count("{detail}"), key
    seen = {code for source, code, _ in FLAGGED}
    assert seen == CODES - {"unreadable"}  # every code but the never-expected fallback has a test above

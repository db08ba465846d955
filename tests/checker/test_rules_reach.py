"""The rules on the shapes real scripts take (names, helpers, methods, sibling modules, notebooks' top level), and
quiet on the real forms that only look like bugs. Every script here is our own, written in the corpus's shapes."""
from __future__ import annotations

import ast

import pytest

from checker import rules

DEFAULT = ("warning", "error")


def codes(source: str, path=None, severities=DEFAULT) -> list[str]:
    return sorted(rules.BY_NAME[h.rule].code for h in rules.run(ast.parse(source), path=path)
                  if (h.severity or rules.BY_NAME[h.rule].severity) in severities)


STEP = "        opt.zero_grad()\n        loss = crit(net(x), y)\n        loss.backward()\n        opt.step()\n"

FOUND = {
    # a checkpoint that never holds the optimizer, in a script that resumes from a path it was given
    "TD114": "def save(net, name):\n    torch.save(net.state_dict(), name)\n\n"
             "opt = torch.optim.AdamW(net.parameters(), 1e-3)\nif cfg.load_weights is not None:\n"
             "    net.load_state_dict(torch.load(cfg.load_weights))\n",
    # a state dict built in a name first, then saved; resume under an exists() check
    "TD114-dict": "optimizer = optim.SGD(net.parameters(), lr=0.1)\nif os.path.exists('ck.pth'):\n"
                  "    net.load_state_dict(torch.load('ck.pth')['net'])\n\ndef test(epoch):\n"
                  "    state = {'net': net.state_dict(), 'epoch': epoch}\n    torch.save(state, 'ck.pth')\n",
    # break left in the epoch loop that calls the training function
    "TD111": "def fit(net, loader, opt):\n    for x, y in loader:\n" + STEP + "\nfor epoch in range(9):\n"
             "    fit(net, loader, opt)\n    break\n",
    # break left in an evaluation loop
    "TD111-eval": "def evaluate(net, loader):\n    net.eval()\n    with torch.no_grad():\n"
                  "        for x, y in loader:\n            out = net(x)\n            break\n",
    # an evaluation method that draws its batches from the training loader
    "TD109": "class Runner:\n    def evaluate(self):\n        it = self.train_loader.__iter__()\n"
             "        for i in range(5):\n            batch = next(it)\n            with torch.no_grad():\n"
             "                out = self.model(batch)\n"
             "    def build(self):\n        self.val_loader = make_loader()\n",
    # a test loader built on the training set
    "TD109-loader": "trainset = datasets.MNIST(root, train=True)\ntestset = datasets.MNIST(root, train=False)\n"
                    "testloader = DataLoader(trainset, batch_size=64)\n",
    # softmax appended last with add_module, loss held in self.criterion
    "TD108": "class Head(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
             "        self.body = nn.Sequential()\n        self.body.add_module('fc', nn.Linear(8, 3))\n"
             "        self.body.add_module('prob', nn.Softmax(dim=1))\n\n"
             "class Trainer:\n    def __init__(self):\n        self.criterion = nn.CrossEntropyLoss()\n",
    # a batch constant spelled BSIZE, in a view
    "TD103": "BSIZE = 32\n\ndef forward(self, x):\n    return self.fc(x.view(BSIZE, -1))\n",
    # two optimizers, only one of them cleared
    "TD101": "for x, y in loader:\n    opt_g.zero_grad()\n    loss = crit(gen(x), y) + crit(disc(x), y)\n"
             "    loss.backward()\n    opt_g.step()\n    opt_d.step()\n",
    # a StepLR stepped every batch, though a per-batch scheduler is built for another model in the same file
    "TD107": "warm = LambdaLR(opt2, lambda s: 1.0)\nsched = StepLR(opt, 30)\nfor x, y in loader:\n"
             "    opt.zero_grad()\n    crit(net(x), y).backward()\n    opt.step()\n    sched.step()\n",
    # cosine annealing over the epochs, stepped every batch
    "TD107-cosine": "sched = CosineAnnealingLR(opt, T_max=args.epochs)\nfor x, y in loader:\n"
                    "    opt.zero_grad()\n    crit(net(x), y).backward()\n    opt.step()\n    sched.step()\n",
    # a notebook's evaluation cell at module level, with grad on
    "TD105": "net.eval()\ncorrect = 0\nfor x, y in test_loader:\n    out = net(x)\n"
             "    correct += (out.argmax(1) == y).sum().item()\n",
    # a script's evaluation under its main guard, after training, the batch unpacked in the loop's body
    "TD105-main-guard": "if __name__ == '__main__':\n    for epoch in range(3):\n        for x, y in train_loader:\n"
                        "            opt.zero_grad()\n            crit(net(x), y).backward()\n            opt.step()\n"
                        "    for data in testloader:\n        images, labels = data\n        outputs = net(images)\n",
}


@pytest.mark.parametrize("key", sorted(FOUND))
def test_the_real_shapes_are_found(key):
    assert key.split("-")[0] in codes(FOUND[key])


QUIET = {
    # the same evaluation under the main guard, in no_grad
    "main-guard-no-grad": "if __name__ == '__main__':\n    with torch.no_grad():\n        for data in testloader:\n"
                          "            images, labels = data\n            outputs = net(images)\n",
    # a loop under another condition is not the script's top level: nothing says it evaluates
    "other-condition": "if args.check:\n    for data in testloader:\n        images, labels = data\n"
                       "        outputs = net(images)\n",
    # the most common scheduler idiom, fully qualified, in a function that builds a model
    "qualified-scheduler": "class Net(nn.Module):\n    pass\n\ndef build(cfg):\n    model = Net()\n"
                           "    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
                           "    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 10)\n"
                           "    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer)\n"
                           "    return model, optimizer, scheduler\n",
    # a helper that does clear the gradients
    "helper-clears": "def reset_grad():\n    g_opt.zero_grad()\n    d_opt.zero_grad()\n\nfor x, y in loader:\n"
                     "    reset_grad()\n    loss = crit(net(x), y)\n    loss.backward()\n    g_opt.step()\n",
    # .grad read on a fresh input tensor for an adversarial direction
    "adversarial-grad": "for x, y in loader:\n    x.requires_grad_(True)\n    loss = crit(net(x), y)\n"
                        "    loss.backward()\n    x_adv = x + eps * x.grad.sign()\n",
    # set_grad_enabled with a parameter
    "grad-flag": "def run(net, loader, is_train):\n    torch.set_grad_enabled(is_train)\n"
                 "    for x, y in loader:\n        out = net(x)\n",
    # a Sigmoid whose output feeds a BCELoss, in a file that also uses cross-entropy elsewhere
    "sigmoid-bce": "class Disc(nn.Module):\n    def forward(self, x):\n        return torch.sigmoid(self.fc(x))\n\n"
                   "bce = nn.BCELoss()\nce = nn.CrossEntropyLoss()\n",
    # a peek at one batch of the test loader
    "peek-break": "for x, y in test_loader:\n    print(x.shape)\n    break\n",
    # a checkpoint that holds the optimizer, saved through a dict held in a name
    "dict-with-optimizer": "optimizer = optim.SGD(net.parameters(), lr=0.1)\nif args.resume:\n"
                           "    net.load_state_dict(torch.load('ck.pth')['net'])\n\ndef test(epoch):\n"
                           "    state = {'net': net.state_dict(), 'optim': optimizer.state_dict()}\n"
                           "    torch.save(state, 'ck.pth')\n",
    # a OneCycle stepped every batch
    "one-cycle-by-name": "sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=100)\n"
                         "for x, y in loader:\n    opt.zero_grad()\n    crit(net(x), y).backward()\n"
                         "    opt.step()\n    sched.step()\n",
    # a Lightning validation_step: the trainer turns grad off
    "lightning-step": "class Lit(pl.LightningModule):\n    def validation_step(self, batch, idx):\n"
                      "        x, y = batch\n        return self.model(x)\n",
}


@pytest.mark.parametrize("key", sorted(QUIET))
def test_the_real_lookalikes_are_quiet(key):
    assert codes(QUIET[key]) == []


def test_a_model_whose_loss_is_in_a_sibling_module(tmp_path):
    model = "class Clf(nn.Module):\n    def __init__(self):\n        super().__init__()\n" \
            "        self.out = nn.Sequential(nn.Linear(4, 2), nn.Softmax(dim=-1))\n"
    (tmp_path / "net.py").write_text(model)
    assert codes(model, path=str(tmp_path / "net.py")) == []  # alone, nothing says which loss it feeds
    (tmp_path / "fit.py").write_text("from net import Clf\nmodel = Clf()\ncriterion = nn.CrossEntropyLoss()\n")
    assert codes(model, path=str(tmp_path / "net.py")) == ["TD108"]


def test_a_mode_switched_in_a_sibling_models_method(tmp_path):
    (tmp_path / "model.py").write_text("class VSE:\n    def val_start(self):\n        self.enc.eval()\n"
                                       "    def train_start(self):\n        self.enc.train()\n")
    script = ("def train(model, loader, val_loader):\n    model.train_start()\n    for i, b in enumerate(loader):\n"
              "        model.opt.zero_grad()\n        model.loss(b).backward()\n        model.opt.step()\n"
              "        if i % 500 == 0:\n            validate(model, val_loader)\n\n"
              "def validate(model, loader):\n    model.val_start()\n\n"
              "for epoch in range(3):\n    train(model, loader, val_loader)\n")
    path = str(tmp_path / "train.py")
    assert rules.run(ast.parse(script), ["eval_without_eval_mode"], path=path) == []  # val_start() sets eval


# Shapes from the second round of the located corpus: top-level notebook code, keyword-fed models, one-batch
# predict helpers, evaluation halves of training functions, test arrays taken from the training split, and resumes
# from the script's own checkpoints under any flag name.
FOUND_TOO = {
    # a notebook's training cell at top level keeps every batch's graph in the running total
    "TD110-top-level": "for epoch in range(5):\n    total = 0.0\n    for xb, yb in batches:\n"
                       "        opt.zero_grad()\n        loss = loss_fn(net(xb), yb)\n        loss.backward()\n"
                       "        opt.step()\n        total += loss\n",
    # an evaluation closure that feeds a pretrained-family model by keyword, with no eval()
    "TD104-keywords": "def run():\n    model = RobertaTagger(config)\n    def _dev_pass():\n"
                      "        for batch in dev_iter:\n            out = model(tokens=batch['ids'], mask=batch['mask'])\n"
                      "    for step, batch in enumerate(train_iter):\n        model(tokens=batch['ids']).sum().backward()\n"
                      "        if step % 100 == 0:\n            _dev_pass()\n",
    # a one-batch predict helper on a network with dropout, called each epoch without eval()
    "TD104-predict": "net = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.3), nn.Linear(8, 2))\n\n"
                     "def predict(net, inputs):\n    wrapped = torch.as_tensor(inputs)\n    return net(wrapped).argmax(1)\n\n"
                     "for epoch in range(4):\n    fit_one_epoch(net)\n    acc = (predict(net, x_test) == y_test).mean()\n",
    # the evaluation half of a training function: eval() set, then a grad-on loop over the validation loader
    "TD105-eval-half": "def run(net, train_loader, val_loader, opt):\n    for epoch in range(3):\n        net.train()\n"
                       "        for xb, yb in train_loader:\n            opt.zero_grad()\n"
                       "            crit(net(xb), yb).backward()\n            opt.step()\n        net.eval()\n"
                       "        for xb, yb in val_loader:\n            score = net(xb)\n",
    # test arrays built from the training split while a test split sits unused
    "TD109-arrays": "fit_set = datasets.MNIST(root, train=True)\nheld_out = datasets.MNIST(root, train=False)\n"
                    "def as_arrays(ds):\n    return ds.data.float(), ds.targets\n\n"
                    "test_x, test_y = as_arrays(fit_set)\n",
    # the short spellings: X_te from X_tr, next to a test split
    "TD109-short-names": "valid_set = CsvSet(split='test')\nX_te = np.array(X_tr)\n",
    # the script saves its network's state_dict and resumes from a path flag that does not say "resume"
    "TD114-reload": "def fit(model, opt, loader):\n    for x, y in loader:\n        opt.zero_grad()\n"
                    "        crit(model(x), y).backward()\n        opt.step()\n"
                    "    torch.save(model.state_dict(), 'last.pt')\n\n"
                    "model = Net()\nopt = torch.optim.Adam(model.parameters())\nif args.init:\n"
                    "    model.load_state_dict(torch.load(args.init))\nfit(model, opt, loader)\n",
}


QUIET_TOO = {
    # a classic torchvision dataset is stored in no particular order: an unshuffled loader is info, not a warning
    "stored-shuffled": "train_set = datasets.FashionMNIST('data', train=True)\n"
                       "train_loader = DataLoader(train_set, batch_size=64)\n",
    # weights saved, then loaded back only to predict
    "reload-to-predict": "for x, y in loader:\n    opt.zero_grad()\n    crit(net(x), y).backward()\n    opt.step()\n"
                         "torch.save(net.state_dict(), 'w.pt')\nnet = Net()\nnet.load_state_dict(torch.load('w.pt'))\n"
                         "net.eval()\nprint(net(sample).argmax(1))\n",
    # the test split is the one the test arrays come from
    "test-from-test": "train_set = datasets.MNIST(root, train=True)\ntest_set = datasets.MNIST(root, train=False)\n"
                      "test_x, test_y = as_arrays(test_set)\ntrain_x, train_y = as_arrays(train_set)\n",
    # a validation loop under no_grad after eval(), in the training function
    "eval-half-no-grad": "def run(net, val_loader):\n    net.eval()\n    with torch.no_grad():\n"
                         "        for xb, yb in val_loader:\n            score = net(xb)\n",
    # a running total of plain numbers at top level
    "top-level-item": "total = 0.0\nfor xb, yb in batches:\n    opt.zero_grad()\n    loss = loss_fn(net(xb), yb)\n"
                      "    loss.backward()\n    opt.step()\n    total += loss.item()\n",
}


def test_the_layers_of_a_model_defined_beside_decide_the_severity(tmp_path):
    helper = ("def score(model, loader):\n    hits = 0\n    for x, y in loader:\n"
              "        hits += (model(x).argmax(1) == y).sum().item()\n    return hits\n")
    (tmp_path / "helpers.py").write_text(helper)
    path = str(tmp_path / "helpers.py")
    assert [h.severity for h in rules.run(ast.parse(helper), ["eval_without_eval_mode"], path=path)] == []
    (tmp_path / "net.py").write_text("class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                                     "        self.drop = nn.Dropout(0.5)\n")
    helper_named = helper.replace("def score(", "def evaluate(")
    (tmp_path / "helpers.py").write_text(helper_named)
    assert codes(helper_named, path=path) == ["TD104", "TD105"]  # Dropout beside: eval mode matters for sure
    (tmp_path / "net.py").unlink()
    assert codes(helper_named, path=path) == ["TD105"]  # nothing says which layers: TD104 only at info


# Shapes from the third round of the located corpus: the optimizer of a resume or of a GAN bound to the wrong
# network, a counter over the configured batch size, loss tensors handed to a summing meter, a validation pass in a
# top-level epoch loop, dropout named only in a constructor's keywords.
FOUND_THIRD = {
    # a top-level script's evaluation loop, under no_grad in the epoch loop after the batch loop, without eval()
    "TD104-epoch-loop": "net = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.5), nn.Linear(8, 2))\n"
                        "for epoch in range(3):\n    net.train()\n    for xb, yb in train_loader:\n"
                        "        opt.zero_grad()\n        crit(net(xb), yb).backward()\n        opt.step()\n"
                        "    with torch.no_grad():\n        for xb, yb in test_loader:\n            out = net(xb)\n",
    # a resume at top level: the optimizer is rebuilt on the old network, then both states are loaded
    "TD106-resume": "class Net(nn.Module):\n    pass\n\nnet = Net()\nopt = optim.Adam(net.parameters())\n"
                    "fresh = Net()\nopt = optim.Adam(net.parameters())\nstate = torch.load(path)\n"
                    "fresh.load_state_dict(state['net'])\nopt.load_state_dict(state['opt'])\n",
    # a second optimizer named for the critic, built on the generator the first one already holds
    "TD106-critic": "def fit(cfg):\n    gen = build_gen(cfg)\n    critic = build_critic(cfg)\n"
                    "    opt_gen = Adam(gen.parameters())\n    opt_critic = Adam(gen.parameters())\n"
                    "    for x in loader:\n        opt_critic.zero_grad()\n        critic(x).mean().backward()\n",
    # a per-sample tally that counts up to the configured batch size in every batch
    "TD103-range": "BATCH = 32\nfor x, y in loader:\n    pred = net(x).argmax(1)\n    for k in range(BATCH):\n"
                   "        hits[y[k]] += int(pred[k] == y[k])\n",
    # losses unpacked beside the one trained, handed to a meter whose update() sums them
    "TD110-meter": "class Meter:\n    def __init__(self):\n        self.total = 0\n    def update(self, v):\n"
                   "        self.total += v\n\ndef step(model, x, opt):\n    meter = Meter()\n"
                   "    loss, aux_loss = model.losses(x)\n    opt.zero_grad()\n    loss.backward()\n    opt.step()\n"
                   "    meter.update(aux_loss * 10)\n",
    # a validation pass at top level, inside the epoch loop, after train(False), with grad on
    "TD105-epoch-loop": "for epoch in range(3):\n    net.train(True)\n    fit(net)\n    net.train(False)\n"
                        "    for xb, yb in val_loader:\n        score = net(xb)\n",
    # dropout known only from the model constructor's keywords: eval() is never undone for sure
    "TD112-keyword": "model = Seq2Seq(vocab, dropout_dec=0.3)\n\ndef evaluate(model, batches):\n    model.eval()\n"
                     "    for b in batches:\n        out = model(b)\n\nfor epoch in range(3):\n"
                     "    for b in train_batches:\n        opt.zero_grad()\n        model(b).sum().backward()\n"
                     "        opt.step()\n    evaluate(model, dev_batches)\n",
    # an unshuffled loader over a class-sorted folder, its labels fed to the loss
    "TD115-labels-read": "train_set = datasets.ImageFolder(root, tf)\ntrain_loader = DataLoader(train_set, batch_size=4)\n"
                         "for x, y in train_loader:\n    opt.zero_grad()\n    crit(net(x), y).backward()\n    opt.step()\n",
}


QUIET_THIRD = {
    # the same top-level script with eval() before its evaluation loop
    "epoch-loop-eval-set": "net = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.5), nn.Linear(8, 2))\n"
                           "for epoch in range(3):\n    net.train()\n    for xb, yb in train_loader:\n"
                           "        opt.zero_grad()\n        crit(net(xb), yb).backward()\n        opt.step()\n"
                           "    net.eval()\n    with torch.no_grad():\n        for xb, yb in test_loader:\n"
                           "            out = net(xb)\n",
    # a no_grad look at a few batches inside the batch loop itself is no evaluation pass
    "no-grad-in-batch-loop": "net = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.5), nn.Linear(8, 2))\n"
                             "for xb, yb in train_loader:\n    opt.zero_grad()\n    crit(net(xb), yb).backward()\n"
                             "    opt.step()\n    with torch.no_grad():\n        for pb in probe_batches:\n"
                             "            seen = net(pb)\n",
    # each network of a GAN with its own optimizer, both built after both networks
    "gan-own-optimizers": "class G(nn.Module):\n    pass\n\nclass D(nn.Module):\n    pass\n\nnet_g = G()\nnet_d = D()\n"
                          "opt_g = Adam(net_g.parameters())\nopt_d = Adam(net_d.parameters())\n"
                          "net_d.load_state_dict(torch.load(p))\nopt_d.load_state_dict(torch.load(q))\n",
    # two optimizers on one model, the second's name matching only a function the scope calls
    "optimizer-named-for-a-call": "def run(model, data):\n    opt = Adam(model.parameters())\n"
                                  "    opt_main = SGD(model.parameters(), lr=0.1)\n    main(data)\n",
    # distillation: the teacher is created and loaded last, the optimizer rightly holds the student
    "distill-teacher": "class Net(nn.Module):\n    pass\n\nstudent = Net()\nteacher = Net()\n"
                       "opt = optim.SGD(student.parameters(), lr=0.1)\nteacher.load_state_dict(torch.load(p))\n",
    # a clear after the critic's backward(), followed by the generator's own backward() and step()
    "clear-then-backward": "for x, y in loader:\n    opt_d.zero_grad()\n    crit(disc(x), y).backward()\n"
                           "    opt_g.zero_grad()\n    crit(gen(x), y).backward()\n    opt_g.step()\n    opt_d.step()\n",
    # counters over the classes, and over the batch size without reading a batch
    "range-not-over-a-batch": "BATCH = 32\nfor x, y in loader:\n    for c in range(10):\n        seen[c] += (y == c).sum()\n"
                              "    for k in range(BATCH):\n        noise.append(torch.randn(4))\n",
    # a meter given numbers, a meter that keeps only the last value, and plain numbers unpacked from a helper
    "meters-of-numbers": "class Last:\n    def update(self, v):\n        self.val = v\n\ndef step(model, x, opt):\n"
                         "    last = Last()\n    loss, aux_loss = model.losses(x)\n    loss.backward()\n    opt.step()\n"
                         "    last.update(aux_loss)\n    epoch_loss, acc = summary(model)\n    history.append(epoch_loss)\n",
    # the same loader whose labels the (style) loss never reads: one fixed order is info
    "labels-discarded": "train_set = datasets.ImageFolder(root, tf)\ntrain_loader = DataLoader(train_set, batch_size=4)\n"
                        "for i, (x, _) in enumerate(train_loader):\n    opt.zero_grad()\n"
                        "    mse(vgg(net(x)), vgg(x)).backward()\n    opt.step()\n",
    # a dropout keyword that turns dropout off says nothing sure about the layers: eval() not undone stays info
    "dropout-switched-off": "model = Seq2Seq(vocab, use_dropout=False)\n\ndef evaluate(model, batches):\n"
                            "    model.eval()\n    with torch.no_grad():\n        for b in batches:\n"
                            "            out = model(b)\n\nfor epoch in range(3):\n    for b in train_batches:\n"
                            "        opt.zero_grad()\n        model(b).sum().backward()\n        opt.step()\n"
                            "    evaluate(model, dev_batches)\n",
}


LATER_FOUND = {**FOUND_TOO, **FOUND_THIRD}
LATER_QUIET = {**QUIET_TOO, **QUIET_THIRD}


@pytest.mark.parametrize("key", sorted(LATER_FOUND))
def test_the_later_rounds_shapes_are_found(key):
    assert key.split("-")[0] in codes(LATER_FOUND[key])


@pytest.mark.parametrize("key", sorted(LATER_QUIET))
def test_the_later_rounds_lookalikes_are_quiet(key):
    assert codes(LATER_QUIET[key]) == []


def test_softmax_output_trained_with_cross_entropy_beside(tmp_path):
    model = "class Head(nn.Module):\n    def forward(self, x):\n        return F.softmax(self.fc(x))\n"
    (tmp_path / "model.py").write_text(model)
    path = str(tmp_path / "model.py")
    (tmp_path / "train.py").write_text("crit = nn.L1Loss()\nfor x, y in loader:\n    crit(head(x), y).backward()\n")
    assert codes(model, path=path) == []  # the sibling trains with another loss
    (tmp_path / "train.py").write_text("crit = nn.CrossEntropyLoss()\nfor x, y in loader:\n"
                                       "    crit(head(x), y).backward()\n")
    assert codes(model, path=path) == ["TD108"]  # trained beside with cross-entropy, the class built elsewhere


def test_eval_set_in_a_function_imported_from_a_sibling(tmp_path):
    script = ("from scoring import embed_all\nnet = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.2))\n\n"
              "def fit(net, loader, opt):\n    net.train()\n    for i, (x, y) in enumerate(loader):\n"
              "        opt.zero_grad()\n        crit(net(x), y).backward()\n        opt.step()\n"
              "        if i % 100 == 0:\n            embed_all(net, dev_loader)\n")
    path = str(tmp_path / "fit.py")
    (tmp_path / "fit.py").write_text(script)
    assert "TD112" not in codes(script, path=path)  # what embed_all() does is not in view
    (tmp_path / "scoring.py").write_text("def embed_all(net, loader):\n    net.eval()\n"
                                         "    return [net(x) for x, _ in loader]\n")
    assert "TD112" in codes(script, path=path)  # it sets eval(), and the rest of the epoch trains in eval mode

"""The benchmark's articles: a deterministic generator of posts that read like this blog's.

Each post is a few KB of Markdown: Chinese prose with English terms, inline and display
formulas, a code block or two, sometimes a table or a list, under a handful of headings, in
one of 10 categories with a few of 50 tags. The same seed gives the same posts on every
machine, so two runs of the benchmark measure the same site.
"""

import random
from dataclasses import dataclass

CATEGORIES = [
    ("深度学习", "deep-learning"), ("分布式训练", "distributed"), ("编译器", "compilers"),
    ("数据库", "databases"), ("系统编程", "systems"), ("数值计算", "numerics"),
    ("计算机视觉", "vision"), ("自然语言处理", "nlp"), ("工程实践", "engineering"),
    ("读书笔记", "reading"),
]  # fmt: skip

TAGS = [
    "PyTorch", "CUDA", "Transformer", "注意力机制", "卷积", "优化器", "梯度下降", "混合精度",
    "量化", "剪枝", "蒸馏", "NCCL", "AllReduce", "数据并行", "流水线并行", "张量并行",
    "LLVM", "MLIR", "JIT", "Rust", "C++", "Python", "Go", "SQLite", "PostgreSQL", "索引",
    "事务", "缓存", "Linux", "内存管理", "调度", "网络", "性能分析", "概率论", "线性代数",
    "数值稳定性", "浮点数", "图像分割", "目标检测", "扩散模型", "分词", "Embedding", "RAG",
    "评测", "测试", "部署", "Kubernetes", "Docker", "Redis", "论文",
]  # fmt: skip

SUBJECTS = [
    "梯度", "学习率", "损失函数", "注意力权重", "批归一化", "残差连接", "显存", "通信开销",
    "吞吐量", "延迟", "缓存命中率", "索引", "查询计划", "事务隔离", "锁竞争", "调度器",
    "内存分配器", "编译器前端", "中间表示", "寄存器分配", "数值误差", "条件数", "特征图",
    "感受野", "词表", "位置编码", "采样策略", "评测指标", "数据管道", "检查点",
]  # fmt: skip

TERMS = [
    "PyTorch", "CUDA kernel", "AdamW", "LayerNorm", "FlashAttention", "NCCL", "ring allreduce",
    "ZeRO", "bf16", "fp8", "LLVM IR", "SSA", "B-tree", "WAL", "MVCC", "io_uring", "epoll",
    "mmap", "SIMD", "cache line", "softmax", "KV cache", "beam search", "BPE", "mIoU",
    "top-k", "warmup", "gradient checkpointing", "profiler", "roofline",
]  # fmt: skip

VERBS = [
    "决定了", "限制了", "放大了", "掩盖了", "改变了", "影响着", "拖慢了", "稳定了",
    "取决于", "受制于",
]  # fmt: skip

CONNECTIVES = [
    "实际上", "换句话说", "更重要的是", "反过来看", "在实践中", "从实验来看", "直观地说",
    "严格来说", "值得注意的是", "因此",
]  # fmt: skip

OBSERVATIONS = [
    "在小批量上几乎看不出差别", "到了上千张卡时就成了瓶颈", "只要数据分布稍有变化就会失效",
    "往往比算法本身更重要", "需要结合具体硬件来判断", "在论文里很少被提到",
    "第一次上线时最容易被忽略", "可以用一个简单的实验验证", "和直觉恰好相反",
    "在日志里留下了清楚的痕迹",
]  # fmt: skip

INLINE_FORMULAS = [
    r"\eta_t", r"O(n \log n)", r"\mathbb{E}[X]", r"\sigma(x) = \frac{1}{1+e^{-x}}",
    r"\|\nabla f(x)\|_2", r"\lambda_{\max}", r"p(y \mid x)", r"\sqrt{d_k}",
    r"W \in \mathbb{R}^{m \times n}",
    r"\alpha + \beta = 1", r"\kappa(A)", r"\epsilon = 2^{-52}",
]  # fmt: skip

DISPLAY_FORMULAS = [
    r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\left(\frac{QK^\top}{\sqrt{d_k}}\right) V",
    r"\theta_{t+1} = \theta_t - \eta \frac{m_t}{\sqrt{v_t} + \epsilon}",
    r"\mathcal{L} = -\frac{1}{N} \sum_{i=1}^{N} \sum_{c=1}^{C} y_{i,c} \log \hat{y}_{i,c}",
    r"T_{\text{ring}} = 2 \frac{p - 1}{p} \cdot \frac{n}{B} + 2 (p - 1) \alpha",
    r"\kappa(A) = \|A\| \, \|A^{-1}\| = \frac{\sigma_{\max}}{\sigma_{\min}}",
    r"\begin{aligned} y &= W x + b \\"
    r" \frac{\partial L}{\partial W} &= \delta \, x^\top \end{aligned}",
    r"r_{k} = r_{k-1} + (k_{\text{size}} - 1) \prod_{i=1}^{k-1} s_i",
    r"P(A \mid B) = \frac{P(B \mid A) \, P(A)}{P(B)}",
]  # fmt: skip

CODE = [
    ("python", """\
import torch

def clip_and_step(model, optimizer, max_norm={n}.0):
    total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return total.item()
"""),
    ("python", """\
from collections import OrderedDict

class LRU:
    def __init__(self, capacity={n}):
        self.capacity = capacity
        self.items = OrderedDict()

    def get(self, key):
        if key not in self.items:
            return None
        self.items.move_to_end(key)
        return self.items[key]
"""),
    ("cpp", """\
#include <vector>

float dot(const std::vector<float>& a, const std::vector<float>& b) {{
    float sum = 0.0f;
    for (size_t i = 0; i < a.size(); i += {n}) {{
        sum += a[i] * b[i];
    }}
    return sum;
}}
"""),
    ("bash", """\
torchrun --nproc_per_node={n} train.py \\
    --batch-size 64 --precision bf16 \\
    --checkpoint-every 1000
"""),
    ("sql", """\
SELECT category, count(*) AS posts
FROM articles
WHERE published_at > now() - interval '{n} days'
GROUP BY category
ORDER BY posts DESC;
"""),
    ("rust", """\
fn mean(xs: &[f64]) -> Option<f64> {{
    if xs.is_empty() {{
        return None;
    }}
    Some(xs.iter().sum::<f64>() / xs.len() as f64 * {n}.0 / {n}.0)
}}
"""),
]  # fmt: skip

HEADINGS = [
    "背景", "问题从哪里来", "一个最小的例子", "测量方法", "结果", "为什么会这样", "改进",
    "代价", "在生产环境里", "小结", "延伸阅读", "常见误区",
]  # fmt: skip


@dataclass
class Article:
    title: str
    slug: str
    body: str
    summary: str
    category: int  # an index into CATEGORIES
    tags: list


class Corpus:
    def __init__(self, seed=2026):
        self.seed = seed

    def article(self, number):
        """The `number`-th post: always the same text for the same seed and number."""
        rng = random.Random(f"{self.seed}:{number}")
        subject, term = rng.choice(SUBJECTS), rng.choice(TERMS)
        title = rng.choice(
            [
                f"{subject}与 {term}：一次排查记录",
                f"重新理解{subject}",
                f"{term} 的{subject}问题",
                f"从 {term} 看{subject}",
                f"{subject}为什么{rng.choice(VERBS)}训练",
            ]
        )
        sections = rng.sample(HEADINGS, rng.randint(3, 5))
        parts = [self.paragraph(rng)]
        for index, heading in enumerate(sections):
            parts.append(f"## {heading}")
            parts.append(self.paragraph(rng))
            if index == 0 or rng.random() < 0.4:
                parts.append(f"$$\n{rng.choice(DISPLAY_FORMULAS)}\n$$")
            parts.append(self.paragraph(rng))
            if rng.random() < 0.5:
                language, code = rng.choice(CODE)
                parts.append(f"```{language}\n{code.format(n=rng.randint(2, 9))}```")
            if rng.random() < 0.25:
                parts.append(self.table(rng))
            if rng.random() < 0.25:
                parts.append("\n".join(f"- {self.sentence(rng)}" for _ in range(3)))
        summary = "" if rng.random() < 0.7 else self.sentence(rng)
        return Article(
            title=f"{title}（{number}）",
            slug=f"bench-{number}",
            body="\n\n".join(parts) + "\n",
            summary=summary,
            category=rng.randrange(len(CATEGORIES)),
            tags=rng.sample(TAGS, rng.randint(1, 4)),
        )

    def sentence(self, rng):
        subject, other = rng.sample(SUBJECTS, 2)
        pieces = [
            f"{rng.choice(CONNECTIVES)}，{subject}{rng.choice(VERBS)}{other}",
            f"这一点在使用 {rng.choice(TERMS)} 时{rng.choice(OBSERVATIONS)}",
        ]
        if rng.random() < 0.35:
            pieces.append(f"设 ${rng.choice(INLINE_FORMULAS)}$，结论依然成立")
        if rng.random() < 0.3:
            pieces.append(f"`{rng.choice(TERMS)}` {rng.choice(OBSERVATIONS)}")
        return "，".join(pieces) + "。"

    def paragraph(self, rng):
        return "".join(self.sentence(rng) for _ in range(rng.randint(2, 5)))

    def table(self, rng):
        rows = ["| 配置 | 吞吐量 (samples/s) | 显存 (GB) |", "| --- | ---: | ---: |"]
        for _ in range(rng.randint(2, 4)):
            rows.append(
                f"| {rng.choice(TERMS)} | {rng.randint(100, 9000)} | {rng.randint(4, 80)} |"
            )
        return "\n".join(rows)

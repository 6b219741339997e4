"""PDF generation benchmark: a dossier-like document of N pages (default 50).

Prints one JSON object per line: {"name", "value", "unit"}. Run from the checkout:
    .venv/bin/python bench/bench_pdf.py [--pages 50] [--repeat 3]
Figures: time to lay out the blocks, time to serialise (font subsetting, compression), the
total for one document (best of --repeat runs), pages per second, file size, and the peak
resident memory of the process (which includes the interpreter and fpdf2, about 60 MB).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intake_app.reports.pdf import PdfDocument  # noqa: E402

WORDS_RU = (  # noqa: SIM905  (a sentence reads better than a list of words)
    "задержан сотрудниками полиции доставлен в изолятор временного содержания "
    "избиение дубинкой угроза убийством лишение сна адвокат по назначению не представился "
    "судебно-медицинская экспертиза не проведена жалоба зарегистрирована в КУИ"
).split()
WORDS_KK = (  # noqa: SIM905
    "ұстап алу полиция бөлімі уақытша ұстау изоляторы ұрып-соғу қорқыту ұйқыдан айыру "
    "қорғаушы сот-медициналық сараптама жүргізілмеді шағым тіркелмеді Өскемен Жаңаөзен"
).split()


def text(rng: random.Random, words: int) -> str:
    vocab = WORDS_RU + WORDS_KK
    return " ".join(rng.choice(vocab) for _ in range(words))


def build(pages: int, seed: int = 7) -> PdfDocument:
    """Add dossier sections until the document reaches `pages` pages."""
    rng = random.Random(seed)
    doc = PdfDocument("Dossier", footer_text="Конфиденциально / Құпия")
    section = 0
    while doc.page_count < pages:
        section += 1
        doc.heading(f"Эпизод {section} / Эпизод {section}")
        doc.key_values(
            [
                ("Место / Орын", "ИВС, Уральск (Орал)"),
                ("Дата / Күні", f"2022-01-{section % 28 + 1:02d}"),
                ("Исполнители / Орындаушылар", text(rng, 12)),
                ("Методы / Әдістер", text(rng, 20)),
            ]
        )
        doc.paragraph(text(rng, 180))
        doc.tick_boxes([("СМЭ назначена / СМС тағайындалды", section % 2 == 0)])
    return doc


def emit(name: str, value: float, unit: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 4), "unit": unit}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    best_layout = best_output = best_total = float("inf")
    size = pages = 0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.pdf"
        for _ in range(args.repeat):
            start = time.perf_counter()
            doc = build(args.pages)
            laid_out = time.perf_counter()
            doc.save(out)
            done = time.perf_counter()
            best_layout = min(best_layout, laid_out - start)
            best_output = min(best_output, done - laid_out)
            best_total = min(best_total, done - start)
            size, pages = out.stat().st_size, doc.page_count
    emit(f"pdf_{args.pages}p_layout", best_layout, "s")
    emit(f"pdf_{args.pages}p_output", best_output, "s")
    emit(f"pdf_{args.pages}p_total", best_total, "s")
    emit("pdf_pages_per_second", pages / best_total, "pages/s")
    emit(f"pdf_{args.pages}p_file_size", size / 1024, "KiB")
    emit("pdf_peak_rss", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MiB")


if __name__ == "__main__":
    main()

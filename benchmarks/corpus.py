"""Generate a site with N stories, brands and columns for benchmarks.

    python benchmarks/corpus.py --stories 10000 --out benchmarks/corpus/10k

Text is assembled from short phrases written for this purpose, so stories have realistic length
(about 1,200–2,500 characters), headings, lists, a table now and then, links between stories,
and front matter of every kind the format allows. The same seed gives the same site.
"""
from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

PLACES = ["周家村", "西塘村", "湖东社区", "麟湖村", "南岸村", "桥头社区", "新桥村", "上塘村", "北山村", "东港社区",
          "石门村", "枫林村", "柳岸社区", "花园村", "青山村", "渔港村"]
PEOPLE = ["刘红梅", "沈建国", "王阿婆", "张大爷", "陈晓岚", "李沐阳", "赵文博", "周若楠", "孙嘉怡", "吴海涛",
          "郑秀英", "钱立新", "冯志强", "何丽华", "许文静", "韩晓东"]
METHODS = ["五单工作法", "网格连心", "三进三帮", "七讲七比", "湖畔课堂", "共富工坊", "暖心积分", "红色代办",
           "党员认领河段", "楼道议事会", "红色物业", "民情日记", "帮帮团", "初心驿站", "支部联建", "书记擂台"]
ACTIONS = ["走访入户", "收集民意", "调解纠纷", "清理河道", "整治环境", "宣讲政策", "帮扶困难群众", "改造老旧小区",
           "发展集体经济", "组织志愿服务", "开展技能培训", "解决停车难", "加装电梯", "修缮道路", "关爱留守儿童"]
RESULTS = ["群众满意率明显提升", "矛盾纠纷就地化解", "村集体收入稳步增长", "河道水质持续改善", "办事时间大幅缩短",
           "志愿服务成为常态", "基层治理更加精细", "党员作用充分发挥", "干群关系更加密切"]
OPENINGS = ["近年来，{place}党支部坚持把{method}作为抓手，", "在{place}，提起{method}，村民们都竖起大拇指。",
            "今年以来，{place}围绕{action}，", "为了更好地{action}，{place}党组织创新推出{method}，"]
MIDDLES = ["党员带头{action}，一年来累计服务群众{n}人次，", "支部每月召开一次碰头会，梳理问题清单{n}条，",
           "{person}是{place}的一名老党员，{years}年来一直坚持{action}，", "镇里把{method}纳入年度考核，推动{action}落到实处，",
           "网格员每天巡查，发现问题及时上报，累计办结{n}件，", "村里设立了服务站，群众有事随时找，"]
ENDINGS = ["{result}。", "真正做到了{result}。", "{person}说：“现在办事方便多了。”", "下一步，将继续深化{method}，推动{result}。"]
HEADINGS = ["主要做法", "工作成效", "经验启示", "下一步打算", "群众评价", "背景", "具体措施", "典型案例"]
TAGS = ["志愿服务", "基层治理", "乡村振兴", "五单工作法", "网格连心", "理论宣讲", "机关党建", "共同富裕", "生态环保",
        "为民办实事", "老旧小区改造", "党员先锋", "红色物业", "文明实践", "支部建设", "作风建设", "民生实事", "村级议事"]


def sentence(rng: random.Random) -> str:
    fill = dict(place=rng.choice(PLACES), person=rng.choice(PEOPLE), method=rng.choice(METHODS),
                action=rng.choice(ACTIONS), result=rng.choice(RESULTS), n=rng.randint(12, 3000), years=rng.randint(2, 30))
    return (rng.choice(OPENINGS) + rng.choice(MIDDLES) + rng.choice(ENDINGS)).format(**fill)


def paragraph(rng: random.Random) -> str:
    return "".join(sentence(rng) for _ in range(rng.randint(2, 4)))


def story_body(rng: random.Random, index: int, total: int) -> str:
    parts = [paragraph(rng)]
    for heading in rng.sample(HEADINGS, rng.randint(2, 4)):
        parts.append(f"## {heading}")
        parts.extend(paragraph(rng) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.3:
            parts.append("\n".join(f"- {rng.choice(ACTIONS)}：{rng.choice(RESULTS)}" for _ in range(3)))
    if rng.random() < 0.2:
        rows = "\n".join(f"| {rng.choice(PLACES)} | {rng.randint(10, 500)} | {rng.randint(80, 100)}% |" for _ in range(4))
        parts.append(f"| 单位 | 服务人次 | 满意率 |\n|---|---:|---:|\n{rows}")
    if index > 0 and rng.random() < 0.3:
        other = rng.randrange(0, index)
        parts.append(f"相关做法可参阅[往期报道](/stories/s{other // 1000:02d}/s{other:05d}.md)。")
    return "\n\n".join(parts) + "\n"


def generate(out: Path, stories: int, brands: int = 12, columns: int = 8, seed: int = 1) -> Path:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    content = out / "content"
    (content / "brands").mkdir(parents=True)
    (content / "columns").mkdir()
    (out / "site.yaml").write_text(
        "title: 基准测试站\nbase_url: https://bench.example.gov.cn/dangjian/\nsite_id_code: \"0000000000\"\n"
        "footer:\n  主办单位: 基准测试单位\n  ICP备案号: 测ICP备00000000号\n", encoding="utf-8")
    brand_ids = [f"brand{i:02d}" for i in range(brands)]
    for i, brand_id in enumerate(brand_ids):
        parent = f"\nparent: {brand_ids[i % 3]}" if i >= 3 else ""
        (content / "brands" / f"{brand_id}.md").write_text(
            f"---\nname: 品牌{i}号·{rng.choice(METHODS)}\nslogan: {rng.choice(RESULTS)}{parent}\n"
            f"color: \"#b3121b\"\norder: {i}\n---\n{paragraph(rng)}\n", encoding="utf-8")
    column_ids = [f"column{i:02d}" for i in range(columns)]
    for i, column_id in enumerate(column_ids):
        (content / "columns" / f"{column_id}.md").write_text(
            f"---\ntitle: 专栏{i}·{rng.choice(ACTIONS)}\ndescription: {sentence(rng)}\norder: {i}\n---\n{paragraph(rng)}\n",
            encoding="utf-8")
    for index in range(stories):
        folder = content / "stories" / f"s{index // 1000:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        year = 2016 + index * 9 // max(stories, 1)
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        tags = ", ".join(rng.sample(TAGS, rng.randint(1, 4)))
        cols = ", ".join(rng.sample(column_ids, rng.randint(1, 2)))
        extra = ""
        if rng.random() < 0.1:
            extra += "gov:\n  索引号: 000000/2022-00001\n  主题分类: 党建工作\n  发布机构: 基准测试单位\n"
        if rng.random() < 0.02:
            extra += "pinned: true\n"
        title = f"{rng.choice(PLACES)}：{rng.choice(METHODS)}助力{rng.choice(ACTIONS)}（{index}）"
        (folder / f"s{index:05d}.md").write_text(
            f"---\ntitle: {title}\ndate: {year}-{month:02d}-{day:02d} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}\n"
            f"brand: {rng.choice(brand_ids)}\ncolumns: [{cols}]\ntags: [{tags}]\n"
            f"source: {rng.choice(PLACES)}党支部\nauthor: {rng.choice(PEOPLE)}\neditor: {rng.choice(PEOPLE)}\n{extra}---\n"
            f"{story_body(rng, index, stories)}", encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=1000)
    parser.add_argument("--brands", type=int, default=12)
    parser.add_argument("--columns", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    generate(args.out, args.stories, args.brands, args.columns, args.seed)
    print(f"generated {args.stories} stories in {args.out}")


if __name__ == "__main__":
    main()

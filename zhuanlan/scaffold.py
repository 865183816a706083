"""`python build.py new DIR`: a new site project that builds at once."""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from .dates import SHANGHAI

SITE_YAML = """\
# 网站设置（键名可写英文，也可写中文别名）
title: 我的党建品牌
subtitle: 党建品牌展示
# 网站正式地址，可以带子路径，例如 https://www.example.gov.cn/dangjian/
base_url: https://www.example.gov.cn/dangjian/
description: 这里写一两句网站简介。
theme: default
site_id_code: ""          # 网站标识码
# 网站的主色（页头、链接、按钮），要加引号；不写时为党建红。太浅看不清时生成会提示
# 主色: "#b3121b"
# 首页顶部的横幅图片（放在 content/images/ 中，宽约 3:1）；不写时显示用主色画的默认横幅
# 横幅: images/banner.jpg
# 没有配图的页面分享到微信时用的缩略图（放在 content/images/ 中，至少 300×300 像素）：
# images:
#   share: images/share.jpg
footer:
  主办单位: 中共某某委员会
  联系方式: 0000-00000000
  ICP备案号: ""
  公安机关备案号: ""
# 发布前检查（python build.py check）：禁用词、规范提法等，说明见 docs/检查与导入.md
# check:
#   禁用词: [XXX, 此处填写]
#   规范提法:
#     错误写法: 正确写法
"""

BRAND = """\
---
name: 我的党建品牌
slogan: 在这里写品牌口号
color: "#b3121b"
owner: 中共某某委员会
order: 1
# 品牌展示（“五有”）：去掉行首的“# ”即可使用，写法见 docs/写作指南.md 的“品牌展示（五有）”
# 发布日期: 2024-07-01
# 标识释义: 这里写标志各部分的含义。
# 内涵:
#   - 名称: 内涵一
#     释义: 这一条内涵的说明。
# 工作法:
#   - 名称: 某某工作法
#     简介: 一两句话介绍。
#     步骤: [第一步, 第二步, 第三步]
# 成效:
#   - 数值: 100
#     单位: 件
#     说明: 为群众办成的实事
# 荣誉:
#   - 年份: 2024
#     名称: 荣誉名称
#     授予: 授予单位
# 大事记:
#   - 日期: 2024-07-01
#     事件: 品牌发布
#     文章: ../stories/first-story.md
# 阵地:
#   - 名称: 党群服务中心
#     地址: 某某路 1 号
#     开放时间: 周一至周五 8:30—17:00
#     电话: 0000-00000000
---
在这里介绍品牌的由来和主要做法。
"""

COLUMN = """\
---
title: 工作动态
description: 记录党建工作的最新动态。
order: 1
---
专栏介绍写在这里。
"""

STORY = """\
---
title: 第一篇案例
date: {date}
brand: my-brand
columns: [news]
tags: [党建品牌]
source: 中共某某委员会
author: 作者姓名
---
这是第一篇案例。第一句话会自动成为摘要，也可以在上面写 summary: 指定摘要。

## 小标题

正文用 Markdown 书写：**加粗**、列表、表格、图片都可以。
"""

GITIGNORE = "output/\n.cache/\n"


def create_site(directory: Path) -> int:
    if directory.exists() and any(directory.iterdir()):
        print(f"错误: 文件夹 {directory} 已存在且不是空的：请换一个新的文件夹名", file=sys.stderr)
        return 1
    now = datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    files = {
        "site.yaml": SITE_YAML,
        "content/brands/my-brand.md": BRAND,
        "content/columns/news.md": COLUMN,
        "content/stories/first-story.md": STORY.format(date=now),
        ".gitignore": GITIGNORE,
    }
    for rel, text in files.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in ("content/images", "content/files", "content/pages"):
        (directory / folder).mkdir(parents=True, exist_ok=True)
    print(f"已新建网站：{directory}")
    print(f"下一步：python build.py --site {directory}   （生成到 {directory / 'output'}）")
    return 0

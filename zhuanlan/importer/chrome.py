"""Page furniture (chrome) on copied pages: share and print buttons, font-size switches, visit
counters, breadcrumbs, copyright and ICP lines, "上一篇/下一篇". Recognised on traditional pages too."""
from __future__ import annotations

import re

from ..hanzi import t2s

_CHROME_SHORT = re.compile(
    r"欢迎使用手机浏览|手机版|切换到(?:电脑|手机)|无障碍(?:浏览|阅读)?|长者模式|关怀版|"
    r"字体(?:大小)?\s*[:：]?\s*[【\[]?\s*大|字号\s*[:：]?\s*[【\[]?\s*大|放大\s*正常\s*缩小|【\s*大\s*】|\b大\s+中\s+小\b|"
    r"浏览次数|阅读次数|浏览量|阅读量|点击数|点击量|访问量|访问次数|"
    r"留言与评论|发表评论|网友评论|我要评论|评论\s*[（(]\s*\d+|验证码|"
    r"分享到|分享至|扫一扫|二维码|"
    r"打印本页|打印此页|【\s*打印\s*】|关闭窗口|关闭本页|【\s*关闭\s*】|收藏本页|加入收藏|返回顶部|返回首页|"
    r"^上一篇|^下一篇|^相关链接|^相关新闻|^相关阅读|^相关文章|"
    r"^当前位置|您(?:现在)?的位置|^首页\s*[>›»＞]|[>›»＞]\s*正文$|"
    r"^标签\s*[:：]|^分享\s*$"
)
_CHROME_ANY = re.compile(
    r"版权所有|Copyright|©|ICP\s*备\s*\d|ICP\s*证|公网安备|网站标识码|网站识别码|"
    r"免责声明|版权声明|转载请注明|未经.{0,20}(?:授权|许可|同意).{0,30}(?:不得|禁止|严禁)|凡本网注明|"
    r"本网站?所(?:刊登|发布|刊载)",
    re.I,
)
_NAV_WORDS = ("关于我们", "联系我们", "网站地图", "网站声明", "隐私声明", "设为首页", "加入收藏", "友情链接", "意见建议")
_SHARE_ONLY = re.compile(r"^(?:微信|微博|QQ空间|QQ|朋友圈|豆瓣|新浪微博|腾讯微博|人人网|[\s、|/·]|分享)+$")


def simplified_probe(text: str) -> str:
    """The text in simplified characters, for recognising labels and chrome on traditional pages."""
    return text if text.isascii() else t2s(text)


def is_chrome(text: str) -> bool:
    """A line of page furniture rather than article text (traditional pages included)."""
    text = simplified_probe(text)
    if _CHROME_ANY.search(text):
        return True
    if sum(word in text for word in _NAV_WORDS) >= 2 or text in _NAV_WORDS:
        return True
    if _SHARE_ONLY.match(text):
        return True
    if len(text) > 15 and re.search(r"[。！？!?]$", text):
        return False  # a finished sentence (“群众扫一扫二维码就能反映问题。”) is article text
    return len(text) <= 80 and bool(_CHROME_SHORT.search(text))


def chrome_start(text: str) -> int | None:
    """Where page furniture begins inside a short run of text (a label's value), if it does."""
    starts = [m.start() for m in (_CHROME_SHORT.search(text), _CHROME_ANY.search(text)) if m]
    return min(starts) if starts else None

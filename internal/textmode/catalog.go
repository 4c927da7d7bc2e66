package textmode

import "parley/internal/chat"

// catalog is all the wording of one language. Each entry is a format for
// appendf (format.go); the comment says which arguments it is given, in
// order. A format may leave out an argument it is given (the zh wording of
// several errors does), but never use one it is not given.
type catalog struct {
	welcome string // NAME, ROOM
	stamp   string // TS: what stands before a history line
	msg     string // ADDR, NAME, TEXT

	presence [chat.Renamed + 1]string // ADDR, NAME; for Renamed: ADDR, OLD, NEW

	nickOK string // OLD, NEW
	joinOK string // ROOM
	who    string // NAME, one line per user
	room   string // ROOM, N: one line per room

	dmIn     string // FROM, TEXT
	dmOut    string // TO, TEXT
	dmQueued string // TO, TEXT

	registered string // NAME
	loggedIn   string // NAME
	noHistory  string // ROOM: a /history that found no messages

	pong string
	help []string // one line per command, no arguments

	bye [chat.ByeLineTimeout + 1]string // quit, slow, shutdown: none; idle, line timeout: DURATION; kicked: OP, then reasonSuffix

	// done words an operator command carried out: TARGET, then for a ban
	// or mute TIME; kick and ban are followed by reasonSuffix.
	done [chat.OpBans]string
	// ban is one line of a bans listing: TARGET, TIME, then reasonSuffix.
	ban    string
	noBans string // a bans listing with none
	// reasonSuffix follows a line that has a reason: REASON. A line
	// without one ends before it.
	reasonSuffix string
	forever      string // TIME for a ban or mute until lifted

	// problems words each chat.Problem: NameTaken, NoSuchUser, UnknownCommand,
	// BadRequest, UnknownOp, NameRegistered, NotBanned, NotMuted get ARG;
	// Banned and Muted get TIME (Banned then reasonSuffix); LineTooLong,
	// TooManyConns and TooManyFromAddr get N; RateLimited gets DURATION (the
	// wait rounded up to whole seconds); InvalidName and InvalidRoom get
	// REASON (below); Usage gets ARG unless usages has a line for that ARG.
	problems [chat.ProbNotMuted + 1]string
	usages   map[string]string // complete usage error lines, by ARG

	// reasons words a refused name: TooLong gets chat.MaxNameLen, BadChar
	// the character (%q), the others nothing.
	reasons [chat.NameDefault + 1]string

	otherProblem string // CODE, for a problem without wording here
}

// The usages that Parse reports as the Arg of a chat.ProbUsage error.
const (
	usageNick = "/nick NAME"
	usageTo   = "to|NAME|TEXT"
	usageMsg  = "/msg NAME TEXT"
	usageJoin = "/join ROOM"

	usageRegister = "/register PASSWORD"
	usageLogin    = "/login NAME PASSWORD"
	usageHistory  = "/history [N]"

	usageKick   = "/kick NAME [REASON]"
	usageBan    = "/ban NAME|ADDR [DURATION] [REASON]"
	usageUnban  = "/unban NAME|ADDR"
	usageMute   = "/mute NAME [DURATION]"
	usageUnmute = "/unmute NAME"
)

var en = catalog{
	welcome: "*** welcome %s, you are in [%s]; /help lists commands",
	stamp:   "[%t] ",
	msg:     "%a%s:%s",
	presence: [...]string{
		chat.Online:  "%a%s:online",
		chat.Offline: "%a%s:offline",
		chat.Joined:  "%a%s:joined",
		chat.Left:    "%a%s:left",
		chat.Renamed: "%a%s:renamed to %s",
	},
	nickOK:   "renamed: [%s]->[%s]",
	joinOK:   "joined [%s]",
	who:      "[%s] is online",
	room:     "[%s] %d online",
	dmIn:     "from [%s]: %s",
	dmOut:    "to [%s]: %s",
	dmQueued: "queued for [%s]: %s",

	registered: "registered: %s",
	loggedIn:   "logged in as %s",
	noHistory:  "*** no messages in [%s]",

	pong: "pong",
	help: []string{
		"who or /who — list everyone online",
		"rename|NAME — change your name to NAME",
		"/nick NAME — change your name to NAME",
		"to|NAME|TEXT — send TEXT to NAME privately",
		"/msg NAME TEXT — send TEXT to NAME privately",
		"ADDR#TEXT — send TEXT privately to the user connected from ADDR",
		"/join ROOM — leave your room and enter ROOM",
		"/rooms — list the rooms that have people in them",
		"/history [N] — show the last N messages of your room (default 20)",
		"/register PASSWORD — register your current name with PASSWORD",
		"/login NAME PASSWORD — log in as the registered NAME",
		"/kick NAME [REASON] — operators: disconnect NAME",
		"/ban NAME|ADDR [DURATION] [REASON] — operators: disconnect and refuse NAME or ADDR (DURATION as 90m or 7d; none: until lifted)",
		"/unban NAME|ADDR — operators: lift a ban",
		"/mute NAME [DURATION] — operators: refuse NAME's chat lines and private messages",
		"/unmute NAME — operators: lift a mute",
		"/bans — operators: list the bans",
		"/help — show this list",
		"/quit — leave",
		"//TEXT — say a line that starts with /",
		"anything else — say it to everyone in your room",
	},
	bye: [...]string{
		chat.ByeQuit:         "bye",
		chat.ByeIdle:         "idle for %s: disconnected",
		chat.ByeSlowConsumer: "too slow: disconnected",
		chat.ByeKicked:       "kicked by %s",
		chat.ByeShutdown:     "server shutting down",
		chat.ByeLineTimeout:  "line not finished within %s: disconnected",
	},
	problems: [...]string{
		chat.ProbBadRequest:       "error: bad request: %s",
		chat.ProbUnknownOp:        "error: unknown op: %s",
		chat.ProbUnknownCommand:   "error: unknown command %s (try /help)",
		chat.ProbUsage:            "error: usage: %s",
		chat.ProbNameTaken:        "error: name taken: %s",
		chat.ProbInvalidName:      "error: invalid name: %s",
		chat.ProbInvalidRoom:      "error: invalid room: %s",
		chat.ProbNoSuchUser:       "error: no such user: %s",
		chat.ProbEmptyMessage:     "error: empty message",
		chat.ProbLineTooLong:      "error: line too long (max %d bytes)",
		chat.ProbTooManyConns:     "error: too many connections (max %d)",
		chat.ProbTooManyFromAddr:  "error: too many connections from your address (max %d)",
		chat.ProbConnRate:         "error: too many new connections from your address, wait %s",
		chat.ProbShuttingDown:     "error: server shutting down",
		chat.ProbNameRegistered:   "error: name registered: %s",
		chat.ProbBadPassword:      "error: bad password",
		chat.ProbRateLimited:      "error: too many attempts, wait %s",
		chat.ProbStoreUnavailable: "error: store unavailable",
		chat.ProbUnauthorized:     "error: unauthorized",
		chat.ProbBanned:           "error: banned until %s",
		chat.ProbMuted:            "error: muted until %s",
		chat.ProbNotBanned:        "error: not banned: %s",
		chat.ProbNotMuted:         "error: not muted: %s",
	},
	done: [...]string{
		chat.OpKick:   "kicked [%s]",
		chat.OpBan:    "banned [%s] until %s",
		chat.OpUnban:  "unbanned [%s]",
		chat.OpMute:   "muted [%s] until %s",
		chat.OpUnmute: "unmuted [%s]",
	},
	ban:          "[%s] until %s",
	noBans:       "*** no bans",
	reasonSuffix: ": %s",
	forever:      "forever",
	usages:       map[string]string{},
	reasons: [...]string{
		chat.NameEmpty:   "empty",
		chat.NameTooLong: "longer than %d characters",
		chat.NameBadChar: "character %q not allowed (use letters, digits, _ - .)",
		chat.NameDefault: "choose a name first (/nick NAME)",
	},
	otherProblem: "error: %s",
}

var zh = catalog{
	welcome: "*** 欢迎 %s，你在 [%s]；输入 /help 查看命令",
	stamp:   "[%t] ",
	msg:     "%a%s:%s",
	presence: [...]string{
		chat.Online:  "%a%s:已上线",
		chat.Offline: "%a%s:下线",
		chat.Joined:  "%a%s:加入",
		chat.Left:    "%a%s:离开",
		chat.Renamed: "%a%s:改名为%s",
	},
	nickOK:   "用户名修改成功,[%s]->[%s]",
	joinOK:   "已加入 [%s]",
	who:      "[%s] is online",
	room:     "[%s] %d 人在线",
	dmIn:     "来自:[%s]的消息，内容是:%s",
	dmOut:    "发送给:[%s]的消息，内容是:%s",
	dmQueued: "已留言给:[%s]，内容是:%s",

	registered: "注册成功: %s",
	loggedIn:   "登录成功: %s",
	noHistory:  "*** [%s] 暂无消息",

	pong: "pong",
	help: []string{
		"who 或 /who — 列出所有在线用户",
		"rename|NAME — 把用户名改为 NAME",
		"/nick NAME — 把用户名改为 NAME",
		"to|NAME|TEXT — 把 TEXT 私聊发送给 NAME",
		"/msg NAME TEXT — 把 TEXT 私聊发送给 NAME",
		"ADDR#TEXT — 把 TEXT 私聊发送给从 ADDR 连接的用户",
		"/join ROOM — 离开当前房间，进入 ROOM",
		"/rooms — 列出有人的房间",
		"/history [N] — 显示当前房间最近的 N 条消息(默认20条)",
		"/register PASSWORD — 用密码 PASSWORD 注册当前用户名",
		"/login NAME PASSWORD — 以已注册的用户名 NAME 登录",
		"/kick NAME [REASON] — 管理员：踢出 NAME",
		"/ban NAME|ADDR [DURATION] [REASON] — 管理员：踢出并封禁 NAME 或 ADDR(DURATION 如 90m 或 7d；不写则直到解封)",
		"/unban NAME|ADDR — 管理员：解封",
		"/mute NAME [DURATION] — 管理员：禁止 NAME 发言和私聊",
		"/unmute NAME — 管理员：解除禁言",
		"/bans — 管理员：列出封禁",
		"/help — 显示本列表",
		"/quit — 退出",
		"//TEXT — 发送以 / 开头的一行",
		"其他内容 — 发送给你所在房间的所有人",
	},
	bye: [...]string{
		chat.ByeQuit:         "再见",
		chat.ByeIdle:         "你已超时，将被踢出下线",
		chat.ByeSlowConsumer: "接收过慢，已断开",
		chat.ByeKicked:       "你已被%s踢出",
		chat.ByeShutdown:     "服务器关闭",
		chat.ByeLineTimeout:  "消息在%s内未发完，已断开",
	},
	problems: [...]string{
		chat.ProbBadRequest:       "请求格式错误: %s",
		chat.ProbUnknownOp:        "未知操作: %s",
		chat.ProbUnknownCommand:   "未知命令 %s (输入 /help 查看)",
		chat.ProbUsage:            "格式错误,正确格式:%s",
		chat.ProbNameTaken:        "用户名已存在，修改失败",
		chat.ProbInvalidName:      "用户名不合法: %s",
		chat.ProbInvalidRoom:      "房间名不合法: %s",
		chat.ProbNoSuchUser:       "目标对象不存在，请仔细检查",
		chat.ProbEmptyMessage:     "消息内容格式错误",
		chat.ProbLineTooLong:      "消息过长(最多%d字节)",
		chat.ProbTooManyConns:     "连接数已满(最多%d个)",
		chat.ProbTooManyFromAddr:  "你的地址连接数过多(最多%d个)",
		chat.ProbConnRate:         "你的地址连接过于频繁，请%s后再试",
		chat.ProbShuttingDown:     "服务器正在关闭",
		chat.ProbNameRegistered:   "用户名已被注册",
		chat.ProbBadPassword:      "密码错误",
		chat.ProbRateLimited:      "尝试次数过多，请%s后再试",
		chat.ProbStoreUnavailable: "存储不可用",
		chat.ProbUnauthorized:     "无权限",
		chat.ProbBanned:           "你已被封禁至%s",
		chat.ProbMuted:            "你已被禁言至%s",
		chat.ProbNotBanned:        "未被封禁: %s",
		chat.ProbNotMuted:         "未被禁言: %s",
	},
	done: [...]string{
		chat.OpKick:   "已踢出 [%s]",
		chat.OpBan:    "已封禁 [%s] 至 %s",
		chat.OpUnban:  "已解封 [%s]",
		chat.OpMute:   "已禁言 [%s] 至 %s",
		chat.OpUnmute: "已解除禁言 [%s]",
	},
	ban:          "[%s] 封禁至 %s",
	noBans:       "*** 暂无封禁",
	reasonSuffix: ": %s",
	forever:      "永久",
	usages: map[string]string{
		usageTo:  "发送私聊消息格式错误,正确格式:to|张三|你好呀",
		usageMsg: "私聊格式错误,正确格式:/msg 张三 你好呀",
	},
	reasons: [...]string{
		chat.NameEmpty:   "不能为空",
		chat.NameTooLong: "超过%d个字符",
		chat.NameBadChar: "不允许的字符 %q(只能用字母、数字、_ - .)",
		chat.NameDefault: "请先改名(/nick 名字)",
	},
	otherProblem: "错误: %s",
}

//! Operating-system and library errors in Chinese, with the original text kept for a note:
//! users read Chinese, support staff need the original.

/// An operating-system error in Chinese; its own text goes in a note (`Diagnostic::os`).
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let r = match e.kind() {
        K::NotFound => "文件或目录不存在",
        K::PermissionDenied => "没有访问权限（请检查文件权限，或文件是否被其他程序锁定）",
        K::AlreadyExists => "文件或目录已存在",
        K::IsADirectory => "这是一个目录，不是文件",
        K::NotADirectory => "路径中的某一段是文件，不是目录",
        K::DirectoryNotEmpty => "目录不是空的",
        K::StorageFull | K::QuotaExceeded => "磁盘空间不足",
        K::ReadOnlyFilesystem => "文件系统是只读的",
        K::FileTooLarge => "文件过大",
        K::ResourceBusy | K::ExecutableFileBusy => "文件正被占用",
        K::InvalidFilename => "文件名无效（过长或含有不允许的字符）",
        K::InvalidData => "内容无效（不是有效的文本）",
        K::InvalidInput => "路径或参数无效",
        K::UnexpectedEof => "文件意外结束（可能不完整）",
        K::CrossesDevices => "不能跨磁盘移动",
        K::TooManyLinks => "链接过多",
        K::Interrupted => "操作被中断",
        K::TimedOut => "操作超时",
        K::OutOfMemory => "内存不足",
        K::Unsupported => "系统不支持此操作",
        K::WriteZero => "无法写入",
        _ => "系统错误",
    };
    match e.raw_os_error() {
        Some(code) if r == "系统错误" => format!("系统错误（错误码 {code}）"),
        _ => r.to_string(),
    }
}

/// Any error from the OS or a library wrapping it, in Chinese, with the original text after it:
/// the first `io::Error` in its chain of sources decides the reason.
pub fn os_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(x) = cur {
        if let Some(io) = x.downcast_ref::<std::io::Error>() {
            return format!("{}（系统信息：{e}）", io_reason(io));
        }
        cur = x.source();
    }
    format!("系统错误（系统信息：{e}）")
}

/// A directory walk's error in Chinese (a symbolic link loop, or the OS error).
pub fn walk_reason(e: &walkdir::Error) -> String {
    match (e.loop_ancestor(), e.io_error()) {
        (Some(a), _) => format!("符号链接形成循环（指回 {}）", a.display()),
        (None, Some(io)) => io_reason(io),
        (None, None) => "系统错误".to_string(),
    }
}

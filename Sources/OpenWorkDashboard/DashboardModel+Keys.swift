extension DashboardModel {
    /// What a key does at `now` (monotonic nanoseconds, for toasts): the model changes, and a command when the
    /// key asks something of the run (quit, detach, restart, copy).
    public mutating func handle(_ key: DashboardKey, now: UInt64) -> DashboardCommand? {
        if searchDraft != nil { return typeSearch(key, now: now) }
        switch key {
        case .interrupt, .character("q"):
            return quit(now: now)
        case .character("d"):
            guard phase == .running else {
                show("Detach is possible once every service has started", now: now)
                return nil
            }
            phase = .detaching
            show("Handing the services to the daemon…", now: now)
            return .detach
        case .character("l"):
            view = .logs
        case .character("o"), .character("b"):
            view = .overview
        case .character("h"), .character("?"):
            view = .help
        case .tab:
            let views = View.allCases
            view = views[((views.firstIndex(of: view) ?? 0) + 1) % views.count]
        case .character("c"):
            guard let attachCommand else {
                show("Nothing to copy yet: the services are starting", now: now)
                return nil
            }
            show("Attach command copied (it holds the opencode password)", now: now)
            return .copy(text: attachCommand)
        default:
            switch view {
            case .overview: return overviewKey(key, now: now)
            case .logs: logsKey(key, now: now)
            case .help: break
            }
        }
        return nil
    }

    private mutating func quit(now: UInt64) -> DashboardCommand? {
        guard phase != .stopping else { return nil }
        phase = .stopping
        show("Stopping every service…", now: now)
        return .quit
    }

    private mutating func overviewKey(_ key: DashboardKey, now: UInt64) -> DashboardCommand? {
        switch key {
        case .up, .character("k"):
            selectedService = max(0, selectedService - 1)
        case .down, .character("j"):
            selectedService = min(max(0, services.count - 1), selectedService + 1)
        case .character("s"):
            secretsRevealed.toggle()
            show(secretsRevealed ? "Secrets shown: s hides them" : "Secrets hidden", now: now)
        case .character("r"):
            guard services.indices.contains(selectedService), phase == .running else {
                show("Nothing to restart yet", now: now)
                return nil
            }
            let name = services[selectedService].name
            show("Restarting \(name)…", now: now)
            return .restart(service: name)
        default:
            break
        }
        return nil
    }

    private mutating func logsKey(_ key: DashboardKey, now: UInt64) {
        switch key {
        case .up, .character("k"): scroll(by: -1)
        case .down, .character("j"): scroll(by: 1)
        case .pageUp: scroll(by: -logRows)
        case .pageDown: scroll(by: logRows)
        case .home, .character("g"):
            follow = false
            anchor = visibleLogs.prefix(logRows).last?.sequence
        case .end, .character("G"):
            follow = true
            anchor = nil
        case .character("f"):
            follow.toggle()
            anchor = follow ? nil : visibleLogs.last?.sequence
            show(follow ? "Following new lines" : "Follow off: the view stays where it is", now: now)
        case .character("s"):
            let choices = serviceFilters
            let index = choices.firstIndex { $0 == serviceFilter } ?? 0
            serviceFilter = choices[(index + 1) % choices.count]
            keepAnchorVisible()
        case .character("e"):
            let levels = LevelFilter.allCases
            levelFilter = levels[((levels.firstIndex(of: levelFilter) ?? 0) + 1) % levels.count]
            keepAnchorVisible()
        case .character("/"):
            searchDraft = search ?? ""
        case .escape:
            search = nil
            keepAnchorVisible()
        default:
            break
        }
    }

    /// Moves the view `lines` lines older (negative) or newer (positive); leaving follow when moving away from
    /// the newest line.
    mutating func scroll(by lines: Int) {
        let visible = visibleLogs
        guard !visible.isEmpty else { return }
        var end = visible.count - 1
        if !follow, let anchor { end = visible.lastIndex { $0.sequence <= anchor } ?? 0 }
        let lowest = min(logRows, visible.count) - 1
        let target = min(visible.count - 1, max(lowest, end + lines))
        if lines < 0 || !follow {
            follow = false
            anchor = visible[target].sequence
        }
    }

    /// After a filter change, a view that is not following keeps its bottom at the nearest line still shown.
    mutating func keepAnchorVisible() {
        guard !follow, let anchor else { return }
        let visible = visibleLogs
        self.anchor = (visible.last { $0.sequence <= anchor } ?? visible.first)?.sequence
    }

    private mutating func typeSearch(_ key: DashboardKey, now: UInt64) -> DashboardCommand? {
        switch key {
        case .enter:
            search = (searchDraft ?? "").isEmpty ? nil : searchDraft
            searchDraft = nil
            keepAnchorVisible()
        case .escape:
            searchDraft = nil
        case .backspace:
            if var draft = searchDraft, !draft.isEmpty {
                draft.removeLast()
                searchDraft = draft
            }
        case .character(let character) where !character.isNewline:
            searchDraft?.append(character)
        case .interrupt:
            searchDraft = nil
            return quit(now: now)
        default:
            break
        }
        return nil
    }
}

mod common;

#[test]
fn fixture_builds_and_logs_in() {
    let f = common::fixture();
    let t = f
        .engine
        .agent_login(common::AGENT, common::PASSWORD, common::IP)
        .unwrap();
    assert_eq!(t.expires_in, 28800);
}

// a dev node has no peers
>> {"jsonrpc":"2.0","id":1,"method":"system_peers"}
<< {"jsonrpc":"2.0","id":1,"result":[]}

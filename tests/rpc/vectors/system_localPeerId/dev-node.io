// a dev node has no network identity
>> {"jsonrpc":"2.0","id":1,"method":"system_localPeerId"}
<< {"jsonrpc":"2.0","id":1,"result":""}

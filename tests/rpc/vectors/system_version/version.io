// the implementation's version
>> {"jsonrpc":"2.0","id":1,"method":"system_version"}
<< {"jsonrpc":"2.0","id":1,"result":"0.1.0+spec1"}

// the implementation's name
>> {"jsonrpc":"2.0","id":1,"method":"system_name"}
<< {"jsonrpc":"2.0","id":1,"result":"flockchain"}

// a call to an account (no module) returns empty data
>> {"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","data":"0x"}]}
<< {"jsonrpc":"2.0","id":1,"result":"0x"}
